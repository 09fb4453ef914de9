// The light and dark themes of app.css: every variable the light theme defines has a dark
// value, and text colours reach WCAG AA contrast (4.5:1) on the surfaces they are used on.

import { describe, expect, it } from 'vitest'
import css from '../app.css?raw'

type Palette = Map<string, string>

/** The `--name: value` declarations of the first `:root { … }` block in `text`. */
function rootVariables(text: string): Palette {
  const block = /:root\s*{([^}]*)}/.exec(text)
  if (!block) throw new Error('no :root block')
  const vars = new Map<string, string>()
  for (const m of block[1].matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) vars.set(m[1], m[2].trim())
  return vars
}

function themes(): { light: Palette; dark: Palette } {
  const at = css.indexOf('@media (prefers-color-scheme: dark)')
  if (at < 0) throw new Error('app.css has no dark theme')
  const light = rootVariables(css.slice(0, at))
  const dark = new Map(light)
  for (const [k, v] of rootVariables(css.slice(at))) dark.set(k, v)
  return { light, dark }
}

/** Relative luminance of `#rrggbb` (WCAG 2.x). */
function luminance(hex: string): number {
  const m = /^#([0-9a-f]{6})$/i.exec(hex)
  if (!m) throw new Error(`${hex} is not #rrggbb`)
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = Number.parseInt(m[1].slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi + 0.05) / (lo + 0.05)
}

// Text colour → the backgrounds it is drawn on somewhere in the UI.
const TEXT_ON: Record<string, string[]> = {
  '--text': ['--surface', '--surface-2', '--sidebar', '--hover', '--selected', '--chip', '--danger-surface', '--mark'],
  '--text-muted': ['--surface', '--surface-2', '--sidebar', '--hover', '--selected', '--chip'],
  '--text-faint': ['--surface', '--surface-2', '--sidebar'],
  '--accent-strong': ['--surface', '--surface-2', '--sidebar', '--selected'],
  '--on-accent': ['--accent'],
  '--danger': ['--surface', '--surface-2', '--danger-surface'],
  '--ok-text': ['--surface', '--surface-2', '--ok-surface'],
  '--warn-text': ['--surface', '--surface-2', '--warn-surface'],
}

describe('themes', () => {
  const { light, dark } = themes()

  it('gives every light variable a dark value', () => {
    const colours = [...light.keys()].filter((k) => /^(#|rgb|color-mix)/.test(light.get(k) ?? ''))
    const same = colours.filter((k) => dark.get(k) === light.get(k))
    // Only what must look the same in both themes may be shared.
    expect(same.sort()).toEqual(['--on-accent', '--qr-surface'])
  })

  for (const [name, palette] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    it(`has AA contrast for text in the ${name} theme`, () => {
      const failures: string[] = []
      for (const [fg, bgs] of Object.entries(TEXT_ON)) {
        for (const bg of bgs) {
          const ratio = contrast(palette.get(fg) ?? 'missing', palette.get(bg) ?? 'missing')
          if (ratio < 4.5) failures.push(`${fg} on ${bg}: ${ratio.toFixed(2)}`)
        }
      }
      expect(failures).toEqual([])
    })

    it(`draws focus and accent borders visibly in the ${name} theme`, () => {
      // WCAG 1.4.11: user-interface components need 3:1 against what is next to them.
      expect(contrast(palette.get('--accent') ?? '', palette.get('--surface') ?? '')).toBeGreaterThanOrEqual(3)
      expect(contrast(palette.get('--danger') ?? '', palette.get('--surface') ?? '')).toBeGreaterThanOrEqual(3)
    })
  }

  it('tells the themes apart', () => {
    expect(luminance(dark.get('--surface') ?? '')).toBeLessThan(0.05)
    expect(luminance(light.get('--surface') ?? '')).toBeGreaterThan(0.9)
  })
})
