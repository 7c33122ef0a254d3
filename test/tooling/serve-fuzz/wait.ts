// Bounded waits the fuzz clients use between their own sends (never to wait for the server: that has events).
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
