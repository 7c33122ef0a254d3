// A self-contained HTML report: the terminal tables plus ECharts charts (echarts.min.js inlined,
// so the file opens offline) of step latency and memory against stream time.
import {readFile, writeFile, mkdir} from 'node:fs/promises'
import {createRequire} from 'node:module'
import path from 'node:path'
import {WhisperStreamError} from '../src/engine/errors.js'
import type {BenchReport} from './run.js'
import {renderReport} from './table.js'

const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'})[c]!)
/** JSON that is safe inside a <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c')

/** echarts.min.js, to inline. echarts is a development dependency: an installed package may lack it. */
export async function echartsSource(): Promise<string> {
  const require = createRequire(import.meta.url)
  let main: string
  try {
    main = require.resolve('echarts')
  } catch (error) {
    throw new WhisperStreamError('usage', 'the HTML report needs the echarts package, which this installation does not have', {
      hint: 'npm install echarts beside whisper-stream, or leave out --out',
      cause: error,
    })
  }
  let dir = path.dirname(main)
  for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
    try {
      return await readFile(path.join(dir, 'dist', 'echarts.min.js'), 'utf8')
    } catch {
      // keep looking upward
    }
  }
  throw new Error('cannot find echarts/dist/echarts.min.js')
}

export async function renderHtml(report: BenchReport): Promise<string> {
  const echarts = (await echartsSource()).replace(/<\/script/gi, '<\\/script')
  const series = {
    stream: report.stream?.samples ?? [],
    streamVad: report.streamVad?.samples ?? [],
    streamNoDraft: report.streamNoDraft?.samples ?? [],
    naive: report.naive?.samples ?? [],
    decode: report.decode?.rows ?? [],
  }
  const m = report.machine
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>whisper-stream bench</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
pre{background:#f6f8fa;padding:12px;overflow:auto;font-size:12px}
.chart{height:360px;margin:16px 0}
h1{font-size:22px} h2{font-size:17px;margin-top:28px}
</style></head><body>
<h1>whisper-stream bench</h1>
<p>${escape(m.cpu)}, ${m.cores} cores, ${escape(m.platform)}, Node ${escape(m.node)}, onnxruntime ${escape(m.onnxruntime)}, transformers.js ${escape(m.transformers ?? 'absent')}; ${escape(m.date)}, load average ${m.loadAverage.join(' ')}.<br>
Model: ${escape(report.model.origin)}, ${report.model.threads || 'default'} threads. Audio: ${escape(report.audio.description)}.</p>
<h2>Step latency against stream time</h2><div id="latency" class="chart"></div>
<h2>Memory against stream time</h2><div id="memory" class="chart"></div>
<h2>Decoding: ms per token, cached vs uncached</h2><div id="decode" class="chart"></div>
<h2>Tables</h2><pre>${escape(renderReport(report))}</pre>
<details><summary>Raw results (JSON)</summary><pre>${escape(JSON.stringify({...report, stream: undefined, streamVad: undefined, streamNoDraft: undefined, naive: undefined}, null, 2))}</pre></details>
<script>${echarts}</script>
<script>
const data = ${scriptJson(series)};
const names = {stream: 'window (ours, KV cache, draft)', streamVad: 'window (ours, VAD on)', streamNoDraft: 'window (ours, no draft)', naive: 'naive (growing buffer, no cache)'};
const keys = Object.keys(names).filter((k) => data[k].length > 0);
const axis = (name) => ({type: 'value', name, nameLocation: 'middle', nameGap: 40});
function line(id, index, yName) {
  const el = document.getElementById(id);
  if (keys.length === 0) { el.textContent = 'no stream data in this run'; el.style.height = 'auto'; return; }
  echarts.init(el).setOption({
    tooltip: {trigger: 'axis'}, legend: {}, grid: {left: 70, right: 30},
    dataZoom: [{type: 'inside'}, {type: 'slider'}],
    xAxis: axis('stream time (s of audio)'), yAxis: axis(yName),
    series: keys.map((k) => ({name: names[k], type: 'line', showSymbol: false, sampling: 'lttb', data: data[k].map((s) => [s[0], s[index]])})),
  });
}
line('latency', 1, 'step ms');
const mem = document.getElementById('memory');
if (keys.length > 0) echarts.init(mem).setOption({
  tooltip: {trigger: 'axis'}, legend: {}, grid: {left: 70, right: 30}, dataZoom: [{type: 'inside'}, {type: 'slider'}],
  xAxis: axis('stream time (s of audio)'), yAxis: axis('MB'),
  series: keys.flatMap((k) => [
    {name: names[k] + ' RSS', type: 'line', showSymbol: false, data: data[k].map((s) => [s[0], s[2]])},
    {name: names[k] + ' heap', type: 'line', showSymbol: false, lineStyle: {type: 'dashed'}, data: data[k].map((s) => [s[0], s[3]])},
  ]),
}); else { mem.textContent = 'no stream data in this run'; mem.style.height = 'auto'; }
const dec = document.getElementById('decode');
if (data.decode.length > 0) echarts.init(dec).setOption({
  tooltip: {trigger: 'axis'}, legend: {}, grid: {left: 70, right: 30},
  xAxis: {type: 'category', name: 'tokens decoded', data: data.decode.map((r) => r.tokens)}, yAxis: axis('ms per token'),
  series: [
    {name: 'cached (ours)', type: 'bar', data: data.decode.map((r) => r.cachedMsPerToken)},
    {name: 'uncached', type: 'bar', data: data.decode.map((r) => r.uncachedMsPerToken)},
  ],
}); else { dec.textContent = 'no decode data in this run'; dec.style.height = 'auto'; }
</script>
</body></html>
`
}

export async function writeHtml(file: string, report: BenchReport): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), {recursive: true})
  await writeFile(file, await renderHtml(report))
}
