// The folder-surface rule of eslint.config.js: code in one folder of src/
// reaches another folder through its index.ts (or config.ts), never a file
// inside it; src/shared's files may be imported one by one.
import { expect, test } from 'vitest'
import { ESLint } from 'eslint'
import { repoPath } from '../support/paths.js'

const eslint = new ESLint({ cwd: repoPath() })

async function problems (file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: repoPath(file) })
  return (result?.messages ?? []).filter((message) => message.ruleId === 'groundstream/folder-surface').map((message) => message.message)
}

test('a file inside another folder is refused, naming the index to use', async () => {
  expect(await problems('src/cli/x.ts', "import { readSplit } from '../eval/dataset.js'\nexport const a = readSplit\n")).toStrictEqual(["../eval/dataset.js is inside src/eval/: import it through src/eval/index.ts, the folder's public surface"])
  expect((await problems('src/knowledge-cache/sources/x.ts', "export type { PostWork } from '../../pipeline/types.js'\n")).length).toBe(1)
  expect((await problems('src/stages/x.ts', "export async function f () { return await import('../images/engine.js') }\n")).length).toBe(1)
})

test('an index, a config section, the own folder and src/shared files are fine; tests are not checked', async () => {
  for (const code of [
    "import { readSplit } from '../eval/index.js'\nexport const a = readSplit\n",
    "import { TextModelsConfigSchema } from '../stages/config.js'\nexport const a = TextModelsConfigSchema\n",
    "import { parsePost } from './parse.js'\nexport const a = parsePost\n",
    "import { installPath } from '../shared/install-paths.js'\nexport const a = installPath\n"
  ]) expect(await problems('src/cli/x.ts', code), code).toStrictEqual([])
  expect(await problems('test/cli/x.test.ts', "import { readSplit } from '../../src/eval/dataset.js'\nexport const a = readSplit\n")).toStrictEqual([])
})
