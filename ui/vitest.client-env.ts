// A test environment that is plain Node but transforms modules as for the browser, so that
// Svelte compiles runes modules for the client (where `$effect` runs) and resolves its
// client build. Used by the `runes` test project (vite.config.ts).
import type { Environment } from 'vitest/environments'

export default {
  name: 'client-node',
  viteEnvironment: 'client',
  setup() {
    return { teardown() {} }
  },
} satisfies Environment
