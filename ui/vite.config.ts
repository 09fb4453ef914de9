import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

// The app is served by Tauri (tauri://localhost) from `dist/`; `npm run dev` serves it on
// the `devUrl` of tauri.conf.json.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    target: 'safari16',
    outDir: 'dist',
    emptyOutDir: true,
    // Inline assets would need `data:` in more CSP directives; keep them as files.
    assetsInlineLimit: 0,
    // One local bundle (CodeMirror is most of it); nothing is downloaded at run time.
    chunkSizeWarningLimit: 1024,
    // bench.html: the B8 keypress-to-paint benchmark page (src/bench), shipped beside the
    // app so the benchmark drives the very binary users run.
    rolldownOptions: {
      input: { main: 'index.html', bench: 'bench.html' },
    },
  },
  test: {
    environment: 'node',
    // The theme test reads app.css (`?raw`); other CSS stays out of unit tests.
    css: { include: [/app\.css/] },
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: ['src/**/*.svelte.test.ts'] } },
      // Runes modules under test need Svelte's client build, where effects run (the
      // default resolves its server build).
      {
        extends: true,
        resolve: { conditions: ['browser'] },
        test: {
          name: 'runes',
          include: ['src/**/*.svelte.test.ts'],
          environment: './vitest.client-env.ts',
          server: { deps: { inline: [/svelte/] } },
        },
      },
    ],
  },
})
