import path from 'node:path'
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const SRC = path.join(import.meta.dirname, 'src')

/**
 * A folder's public surface is its index.ts (and config.ts, the section of
 * the configuration it owns, which src/config composes): code in one folder
 * of src/ imports another folder only through them (docs/architecture.md).
 * src/shared is a toolbox of independent mechanisms: its files may be
 * imported one by one, so a command loads only what it uses (`help` reads the
 * install path without cockatiel, zod and lru-cache).
 */
const folderSurface = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { internal: "{{target}} is inside src/{{folder}}/: import it through src/{{folder}}/index.ts, the folder's public surface" }
  },
  create (context) {
    const file = context.filename
    if (!file.startsWith(SRC + path.sep)) return {}
    const own = path.relative(SRC, file).split(path.sep)[0]
    const check = (node) => {
      const target = node.source?.value
      if (typeof target !== 'string' || !target.startsWith('.')) return
      const parts = path.relative(SRC, path.resolve(path.dirname(file), target)).split(path.sep)
      if (parts[0] === '..' || parts[0] === own || parts[0] === 'shared') return
      if (parts.length === 2 && (parts[1] === 'index.js' || parts[1] === 'config.js')) return
      context.report({ node: node.source, messageId: 'internal', data: { target, folder: parts[0] } })
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check }
  }
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.venv-training/', '.cache/', '.services/', 'models/', 'training/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      'eqeqeq': ['error', 'always']
    }
  },
  {
    files: ['src/**/*.ts'],
    plugins: { groundstream: { rules: { 'folder-surface': folderSurface } } },
    rules: { 'groundstream/folder-surface': 'error' }
  }
)
