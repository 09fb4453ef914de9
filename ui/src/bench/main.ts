// The B8 benchmark page (bench.html): `?mode=engine|plain&page=<page id>` mounts the
// editor bench and exposes it to WebDriver as `window.meridianBench`. Part of the built UI
// like index.html; it can do nothing the app's own page cannot.
import { mount } from 'svelte'
import '../app.css'
import EditorBench from './EditorBench.svelte'
import type { BenchControl, Mode } from './control'

declare global {
  interface Window {
    meridianBench?: BenchControl
  }
}

const target = document.getElementById('app')
if (!target) throw new Error('bench.html has no #app element')
const params = new URLSearchParams(location.search)
const mode = params.get('mode')
const page = params.get('page')
const control: BenchControl = {
  ready: false,
  error: null,
  reset: () => {},
  finish: () => Promise.reject(new Error('the bench page is not mounted yet')),
}
window.meridianBench = control
if ((mode !== 'engine' && mode !== 'plain') || !page) {
  control.error = 'open bench.html?mode=engine|plain&page=<page id>'
  target.textContent = control.error
} else {
  mount(EditorBench, { target, props: { mode: mode satisfies Mode, page, control } })
}
