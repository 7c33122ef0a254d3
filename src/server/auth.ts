import {timingSafeEqual} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import {isIP} from 'node:net'
import {WhisperStreamError} from '../engine/errors.js'

export interface AccessPolicy {
  /** Required as `Authorization: Bearer …` or `?token=…` on /v1/*, when set. */
  token: string | undefined
  /** Origins allowed besides the server's own (browsers send Origin; other clients usually do not). */
  allowOrigins: readonly string[]
}

export const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'))
}

/** A server reachable from other machines must have a token, unless the user says otherwise. */
export function checkBindPolicy(host: string, token: string | undefined, insecure: boolean): void {
  if (isLoopback(host) || token || insecure) return
  throw new WhisperStreamError('usage', `--host ${host} is reachable from other machines and needs --token`, {
    hint: 'pass --token SECRET (clients send Authorization: Bearer SECRET), or --insecure to serve without one',
  })
}

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** True when the request carries the token (or none is required). */
export function authorized(request: IncomingMessage, url: URL, policy: AccessPolicy): boolean {
  if (!policy.token) return true
  const header = request.headers.authorization
  const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
  const given = bearer ?? url.searchParams.get('token') ?? ''
  return sameSecret(given, policy.token)
}

/** Browsers send Origin: it must be this server (same host:port) or one of --allow-origin. No Origin: not a browser, allowed. */
export function originAllowed(request: IncomingMessage, policy: AccessPolicy): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return true
  if (policy.allowOrigins.includes('*') || policy.allowOrigins.includes(origin)) return true
  try {
    return new URL(origin).host === request.headers.host
  } catch {
    return false
  }
}
