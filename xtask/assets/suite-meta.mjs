// Prints the http-cache-tests test definitions the CLI runs, as JSON:
// [{ id, suite, suite_name, name, kind, depends_on, browser_only }].
// Usage: node suite-meta.mjs <package dir>
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const pkg = process.argv[2]
const load = async (file) => (await import(pathToFileURL(path.join(pkg, file)).href)).default
const suites = await load('tests/index.mjs')
// cli.mjs adds the Surrogate-Control suite to every run.
suites.push(await load('tests/surrogate-control.mjs'))
const out = []
for (const suite of suites) {
  for (const t of suite.tests) {
    out.push({
      id: t.id,
      suite: suite.id,
      suite_name: suite.name,
      name: t.name,
      kind: t.kind || 'required',
      depends_on: t.depends_on || [],
      browser_only: Boolean(t.browser_only)
    })
  }
}
console.log(JSON.stringify(out))
