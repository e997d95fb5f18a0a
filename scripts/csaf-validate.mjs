#!/usr/bin/env node
// Validates CSAF 2.0 documents with the Secvisogram project's (BSI) validator,
// @secvisogram/csaf-validator-lib: the strict JSON schema test (csaf_2_0_strict: no
// additional properties) and every mandatory test of CSAF 2.0 section 6.1, run through
// `validateStrict`. The optional tests (section 6.2) run too; what they find is printed as
// warnings and does not fail the document unless --optional is given. The informative tests
// (6.3) are not run (some of them fetch URLs).
//
// usage: node scripts/csaf-validate.mjs [--optional] FILE...
//
// The library is looked up in CSAF_VALIDATOR_LIB (its folder), else in
// crates/vigilo-formats/tests/reference/node/node_modules (scripts/install-test-deps runs
// `npm ci` there, with the version pinned in its package-lock.json).
//
// Exit status: 0 every file valid; 1 a file invalid (the findings on stderr, each naming the
// file, the test and the JSON pointer); 2 usage; 3 the library is missing; 4 this script
// failed.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const MISSING = 3
const CRASHED = 4

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const lib =
  process.env.CSAF_VALIDATOR_LIB ||
  join(
    root,
    'crates/vigilo-formats/tests/reference/node/node_modules/@secvisogram/csaf-validator-lib'
  )

async function load(name) {
  return import(pathToFileURL(join(lib, name)).href)
}

async function main(argv) {
  const optionalFails = argv.includes('--optional')
  const files = argv.filter((a) => a !== '--optional')
  if (files.length === 0 || files.some((f) => f.startsWith('--'))) {
    console.error('usage: csaf-validate.mjs [--optional] FILE...')
    return 2
  }
  if (!existsSync(join(lib, 'validateStrict.js'))) {
    console.error(
      `validator missing: @secvisogram/csaf-validator-lib not found at ${lib} (run scripts/install-test-deps)`
    )
    return MISSING
  }
  const { default: validateStrict } = await load('validateStrict.js')
  const schema = await load('schemaTests.js')
  const mandatory = await load('mandatoryTests.js')
  const optional = await load('optionalTests.js')
  const required = [schema.csaf_2_0_strict, ...Object.values(mandatory)]
  const advisory = Object.values(optional)

  let invalid = 0
  for (const file of files) {
    let doc
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'))
    } catch (err) {
      console.error(`invalid: ${file}: not JSON: ${err.message}`)
      invalid++
      continue
    }
    const findings = []
    const result = await validateStrict(required, doc)
    for (const t of result.tests) {
      for (const e of t.errors ?? []) findings.push(`${t.name} ${e.instancePath || '/'}: ${e.message}`)
    }
    if (!result.isValid && findings.length === 0) findings.push('not valid (no message)')
    const opt = await validateStrict(advisory, doc)
    const warnings = []
    for (const t of opt.tests) {
      for (const w of [...(t.warnings ?? []), ...(t.errors ?? [])]) {
        warnings.push(`${t.name} ${w.instancePath || '/'}: ${w.message}`)
      }
    }
    for (const w of warnings) console.error(`warning: ${file}: ${w}`)
    if (optionalFails) findings.push(...warnings)
    if (findings.length > 0) {
      invalid++
      for (const f of findings) console.error(`invalid: ${file}: ${f}`)
    } else {
      console.log(`csaf: ${file} is valid`)
    }
  }
  return invalid > 0 ? 1 : 0
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err))
    process.exit(CRASHED)
  }
)
