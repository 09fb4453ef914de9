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
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    // The theme test reads app.css (`?raw`); other CSS stays out of unit tests.
    css: { include: [/app\.css/] },
  },
})
