#!/usr/bin/env node
// Reference for vigilo-version's SemVer, npm and Go differential tests
// (tests/it/semver.rs; also the SemVer-compatible subset in tests/it/nuget.rs).
//
//   node semver_cmp.js DIALECT COMMAND < lines
//
// Every input line is a JSON array of strings. DIALECT:
//   npm     node-semver itself: semver.valid(v) / semver.compare(a, b), non-loose.
//   strict  SemVer 2.0.0: validity by the regular expression published on
//           semver.org; order by node-semver (same precedence).
//   go      golang.org/x/mod/semver: an optional leading "v" (OSV drops it), the
//           shorthands MAJOR and MAJOR.MINOR (expanded to .0), then as strict.
// COMMAND:
//   valid   [v] per line -> "1" (valid) or "0"
//   cmp     [a, b] per line -> "-1", "0" or "1"; "skip" where node-semver
//           cannot stand in for the dialect (numbers beyond 2^53 in strict/go)
//   rank    [v] per line (all valid) -> its dense rank in the sorted
//           list (equal versions share a rank), in input order
//
// node-semver comes from ./node (package.json + package-lock.json: `npm ci` there).
'use strict'

const path = require('path')
const semver = require(path.join(__dirname, 'node', 'node_modules', 'semver'))

// https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
const SEMVER_ORG =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/

const [dialect, command] = process.argv.slice(2)

function goToStrict (v) {
  if (v.startsWith('v')) v = v.slice(1)
  const m = /^(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?$/.exec(v)
  return m ? `${m[1]}.${m[2] === undefined ? '0' : m[2]}.0` : v
}

function valid (v) {
  switch (dialect) {
    case 'npm': return semver.valid(v) !== null
    case 'strict': return SEMVER_ORG.test(v)
    case 'go': return SEMVER_ORG.test(goToStrict(v))
    default: throw new Error(`unknown dialect ${dialect}`)
  }
}

// The string node-semver orders, or null where its order is not the
// dialect's (numbers above 2^53: node-semver rejects or rounds them).
function forNode (v) {
  if (dialect === 'npm') return v
  const s = dialect === 'go' ? goToStrict(v) : v
  const m = SEMVER_ORG.exec(s)
  if (!m) throw new Error(`invalid ${dialect} version ${JSON.stringify(v)}`)
  const numbers = [m[1], m[2], m[3]].concat(m[4] ? m[4].split('.').filter((id) => /^\d+$/.test(id)) : [])
  if (numbers.some((n) => n.length > 15)) return null
  return s
}

const input = require('fs').readFileSync(0, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))
const out = []

switch (command) {
  case 'valid':
    for (const [v] of input) out.push(valid(v) ? '1' : '0')
    break
  case 'cmp':
    for (const [a, b] of input) {
      const [x, y] = [forNode(a), forNode(b)]
      out.push(x === null || y === null ? 'skip' : String(semver.compare(x, y)))
    }
    break
  case 'rank': {
    const items = input.map(([v], i) => {
      const n = forNode(v)
      if (n === null) throw new Error(`cannot rank ${JSON.stringify(v)} with node-semver`)
      return { n, i }
    })
    items.sort((a, b) => semver.compare(a.n, b.n))
    const ranks = new Array(items.length)
    let rank = 0
    items.forEach((item, k) => {
      if (k > 0 && semver.compare(items[k - 1].n, item.n) !== 0) rank++
      ranks[item.i] = rank
    })
    for (const r of ranks) out.push(String(r))
    break
  }
  default:
    throw new Error(`unknown command ${command}`)
}

process.stdout.write(out.join('\n') + (out.length ? '\n' : ''))
