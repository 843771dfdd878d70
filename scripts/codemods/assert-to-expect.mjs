#!/usr/bin/env node
// Codemod: node:assert (strict) in the tests -> vitest's expect (issue 28 goal 4).
//
//   node scripts/codemods/assert-to-expect.mjs [--check] [--project tsconfig.json] [path ...]
//
// Paths default to test/. Every .ts/.mts/.cts/.js/.mjs/.cjs file under them that
// imports node:assert is rewritten in place; helper modules too, not only
// *.test.ts. --check writes nothing and exits 1 when a file would change.
// Re-runnable and idempotent: a second run finds nothing to convert, and the
// calls it keeps as assert it keeps again for the same reasons.
//
// How: the TypeScript compiler API finds the assert calls (the identifiers
// bound by the import, not text that looks like them) and each call's range is
// replaced; everything outside those ranges, comments included, is kept byte
// for byte. The mapping keeps node:assert/strict semantics:
//   equal, strictEqual            -> expect(a, msg).toBe(b)             (Object.is, both)
//   notEqual, notStrictEqual      -> expect(a, msg).not.toBe(b)
//   deepEqual, deepStrictEqual    -> expect(a, msg).toStrictEqual(b)    (prototypes, undefined keys)
//   notDeepEqual, ...Strict...    -> expect(a, msg).not.toStrictEqual(b)
//   assert(x, msg), ok(x, msg)    -> expect(x, msg).toBeTruthy()
//   match / doesNotMatch          -> expect(s, msg).toMatch(re) / .not.toMatch(re)
//   throws(fn, m?, msg?)          -> expect(fn, msg).toThrow(m)                    RegExp, class, none
//                                    expect(fn, msg).toThrow(expect.objectContaining({ ... }))   object
//   rejects(p, m?, msg?)          -> expect(p, msg).rejects.toThrow(m)             RegExp, class, none
//                                    expect(p, msg).rejects.toMatchObject({ ... }) object
//   doesNotThrow(fn, msg?)        -> expect(fn, msg).not.toThrow()
//   doesNotReject(p, msg?)        -> expect(p, msg).resolves.not.toThrow()
//   fail(msg?)                    -> expect.fail(msg)
// An object matcher is converted when each of its values is a literal (or of a
// primitive type) or a RegExp literal; a RegExp value becomes
// expect.stringMatching(re), which, as assert does, tests a string property.
// Kept as assert, and listed in the summary with the reason:
//   - a throws/rejects whose matcher is a validation function (assert wants it
//     to return true; expect has no such matcher with the same contract);
//   - a call whose assertion narrows a type the code after it relies on
//     (assert's signatures are `asserts value`, expect's are not): found by
//     type-checking the converted files (the --project tsconfig, tsconfig.json
//     by default) and keeping the call the new error points back to;
//   - the loose assertions of the legacy `node:assert` (equal, deepEqual, ...),
//     which have no exact expect counterpart;
//   - anything else it does not know (another method, a spread argument, a
//     comment inside the call).
// The import is removed once nothing uses it any more, and expect is added to
// the file's `import { ... } from 'vitest'` (or a new one is added).
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import process from 'node:process'
import ts from 'typescript'

const EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs']
const ASSERT_MODULES = new Map([
  ['node:assert/strict', true], ['assert/strict', true],
  ['node:assert', false], ['assert', false]
])
const LOOSE = new Set(['equal', 'notEqual', 'deepEqual', 'notDeepEqual'])
// Calls whose node:assert signature is an assertion (`asserts value`): removing
// one can widen a type the code after it relies on.
const NARROWING = new Set(['ok', 'equal', 'strictEqual', 'deepEqual', 'deepStrictEqual', 'ifError'])

// ---------------------------------------------------------------- arguments

function parseArgs (argv) {
  const options = { check: false, project: 'tsconfig.json', typecheck: true, paths: [] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--check' || arg === '--dry-run') options.check = true
    else if (arg === '--no-typecheck') options.typecheck = false
    else if (arg === '--project' || arg === '-p') options.project = argv[++i]
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: node scripts/codemods/assert-to-expect.mjs [--check] [--no-typecheck] [--project tsconfig.json] [path ...]\n')
      process.exit(0)
    } else options.paths.push(arg)
  }
  if (options.paths.length === 0) options.paths.push('test')
  return options
}

function listFiles (paths) {
  const files = []
  const visit = (p) => {
    const stat = statSync(p)
    if (stat.isDirectory()) {
      if (path.basename(p) === 'node_modules') return
      for (const entry of readdirSync(p).sort()) visit(path.join(p, entry))
    } else if (EXTENSIONS.includes(path.extname(p)) && !/\.d\.[mc]?ts$/.test(p)) {
      files.push(path.resolve(p))
    }
  }
  for (const p of paths) {
    if (!existsSync(p)) throw new Error(`no such file or directory: ${p}`)
    visit(p)
  }
  return files
}

function scriptKind (file) {
  switch (path.extname(file)) {
    case '.tsx': return ts.ScriptKind.TSX
    case '.js': case '.mjs': case '.cjs': return ts.ScriptKind.JS
    default: return ts.ScriptKind.TS
  }
}

// ---------------------------------------------------------------- program

function loadProject (project) {
  const configPath = path.resolve(project)
  if (!existsSync(configPath)) return undefined
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')) }
  })
  return parsed
}

function createProgram (parsed, overrides, oldProgram) {
  const host = ts.createCompilerHost(parsed.options, true)
  const getSourceFile = host.getSourceFile.bind(host)
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = overrides.get(path.resolve(fileName))
    if (text !== undefined) return ts.createSourceFile(fileName, text, languageVersion, true, scriptKind(fileName))
    return getSourceFile(fileName, languageVersion, onError, shouldCreate)
  }
  const readFile = host.readFile.bind(host)
  host.readFile = (fileName) => overrides.get(path.resolve(fileName)) ?? readFile(fileName)
  return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host, oldProgram })
}

function diagnosticsOf (program, file) {
  const sf = program.getSourceFile(file)
  if (sf === undefined) return []
  return [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]
}

const diagnosticKey = (d) => `${d.code}:${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`

// ---------------------------------------------------------------- analysis

function lineOf (sf, pos) {
  return sf.getLineAndCharacterOfPosition(pos).line + 1
}

/** The bindings an import of node:assert makes: local name -> { method, strict }. */
function assertImports (sf) {
  const imports = []
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue
    const strict = ASSERT_MODULES.get(statement.moduleSpecifier.text)
    if (strict === undefined) continue
    const clause = statement.importClause
    const bindings = []
    if (clause !== undefined && !clause.isTypeOnly) {
      if (clause.name !== undefined) bindings.push({ node: clause.name, local: clause.name.text, method: undefined, strict })
      const named = clause.namedBindings
      if (named !== undefined && ts.isNamespaceImport(named)) {
        bindings.push({ node: named.name, local: named.name.text, method: undefined, strict, namespace: true })
      } else if (named !== undefined) {
        for (const element of named.elements) {
          if (element.isTypeOnly) continue
          const imported = (element.propertyName ?? element.name).text
          if (imported === 'strict' || imported === 'default') bindings.push({ node: element.name, local: element.name.text, method: undefined, strict: strict || imported === 'strict', element })
          else bindings.push({ node: element.name, local: element.name.text, method: imported, strict, element })
        }
      }
    }
    imports.push({ declaration: statement, bindings })
  }
  return imports
}

function isDeclarationName (node) {
  const parent = node.parent
  if (parent === undefined) return false
  if ((ts.isPropertyAccessExpression(parent) || ts.isQualifiedName(parent)) && parent.name === node) return true
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent) || ts.isMethodDeclaration(parent) ||
    ts.isPropertySignature(parent) || ts.isMethodSignature(parent) || ts.isGetAccessor(parent) || ts.isSetAccessor(parent) ||
    ts.isEnumMember(parent)) && parent.name === node) return true
  if (ts.isBindingElement(parent) && parent.propertyName === node) return true
  if ((ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) && parent.propertyName === node) return true
  if (ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) return true
  return false
}

/** Does `name` refer to the binding at the top of the file (not a local that shadows it)? */
function refersToImport (identifier, binding, checker) {
  if (checker === undefined) return true
  const symbol = checker.getSymbolAtLocation(identifier)
  const bound = checker.getSymbolAtLocation(binding.node)
  return symbol !== undefined && symbol === bound
}

function render (node, sf, inner = []) {
  // The argument's text with the comments right before it, without the
  // whitespace around it, and with the assert calls inside it converted.
  const edits = inner.filter((e) => e.start >= node.pos && e.end <= node.end)
  return applyEdits(sf.text.slice(0, node.end), edits).text.slice(node.pos).trim()
}

function hasComments (text) {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text)
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.SingleLineCommentTrivia || token === ts.SyntaxKind.MultiLineCommentTrivia) return true
  }
  return false
}

function unwrap (node) {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) node = node.expression
  return node
}

function isFunctionLike (node) {
  node = unwrap(node)
  return ts.isArrowFunction(node) || ts.isFunctionExpression(node)
}

function isPrimitiveType (type) {
  if (type.isUnion()) return type.types.every(isPrimitiveType)
  return (type.flags & (ts.TypeFlags.StringLike | ts.TypeFlags.NumberLike | ts.TypeFlags.BigIntLike |
    ts.TypeFlags.BooleanLike | ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.EnumLike)) !== 0
}

/** The matcher argument of throws/rejects, classified. */
function classifyMatcher (node, sf, checker) {
  const inner = unwrap(node)
  if (ts.isRegularExpressionLiteral(inner)) return { kind: 'regexp', text: render(node, sf) }
  if (ts.isStringLiteral(inner) || ts.isNoSubstitutionTemplateLiteral(inner) || ts.isTemplateExpression(inner)) return { kind: 'message' }
  if (isFunctionLike(inner)) return { kind: 'keep', reason: 'the matcher is a validation function (kept: assert wants it to return true)' }
  if (ts.isObjectLiteralExpression(inner)) {
    if (inner.properties.length === 0) return { kind: 'keep', reason: 'empty object matcher' }
    const parts = []
    for (const property of inner.properties) {
      if (!ts.isPropertyAssignment(property) || ts.isComputedPropertyName(property.name)) {
        return { kind: 'keep', reason: 'object matcher with a spread, shorthand, method or computed key' }
      }
      const value = unwrap(property.initializer)
      let valueText
      if (ts.isRegularExpressionLiteral(value)) valueText = `expect.stringMatching(${value.getText(sf)})`
      else if (ts.isStringLiteral(value) || ts.isNoSubstitutionTemplateLiteral(value) || ts.isNumericLiteral(value) ||
        ts.isBigIntLiteral(value) || value.kind === ts.SyntaxKind.TrueKeyword || value.kind === ts.SyntaxKind.FalseKeyword ||
        value.kind === ts.SyntaxKind.NullKeyword) valueText = property.initializer.getText(sf)
      else if (checker !== undefined && isPrimitiveType(checker.getTypeAtLocation(value))) valueText = property.initializer.getText(sf)
      else return { kind: 'keep', reason: `object matcher property ${property.name.getText(sf)} is not a literal or a RegExp (assert compares it with deepStrictEqual)` }
      parts.push(`${property.name.getText(sf)}: ${valueText}`)
    }
    return { kind: 'object', text: `{ ${parts.join(', ')} }` }
  }
  if (checker !== undefined && (ts.isIdentifier(inner) || ts.isPropertyAccessExpression(inner))) {
    const type = checker.getTypeAtLocation(inner)
    if (type.getConstructSignatures().length > 0) return { kind: 'class', text: render(node, sf) }
    if (type.getCallSignatures().length > 0) return { kind: 'keep', reason: 'the matcher is a validation function (kept: assert wants it to return true)' }
  }
  return { kind: 'keep', reason: `matcher ${inner.getText(sf).slice(0, 40)} is neither a RegExp, a class nor an object literal` }
}

/**
 * The conversion of one assert call: { start, end, text, method, narrowing }
 * or { keep: reason }.
 */
function convert (call, method, strict, sf, checker, inner) {
  const args = call.arguments
  if (args.some((a) => ts.isSpreadElement(a))) return { keep: 'spread argument' }
  // Comments after an argument, before its comma or the `)`, would be lost
  // (the ones before an argument go with it).
  const gaps = args.map((arg, i) => sf.text.slice(arg.end, i + 1 < args.length ? args[i + 1].pos : call.end - 1))
  if (gaps.some(hasComments)) return { keep: 'a comment after an argument, inside the call' }
  const a = args.map((node) => render(node, sf, inner))
  // A call laid out one argument a line stays so: expect(\n  a\n).toBe(\n  b\n)
  const broken = args.length > 0 && lineOf(sf, args[0].getStart(sf)) > lineOf(sf, call.arguments.pos)
  const line = sf.text.slice(sf.getPositionOfLineAndCharacter(lineOf(sf, call.getStart(sf)) - 1, 0))
  const indent = /^[ \t]*/.exec(line)[0]
  const list = (items) => {
    if (items.length === 0) return '()'
    if (!broken) return `(${items.join(', ')})`
    return `(\n${items.map((item) => `${indent}  ${item}`).join(',\n')}\n${indent})`
  }
  const build = (subject, chain, matcher = []) => ({ text: `expect${list(subject)}${chain}${list(matcher)}` })
  const withMessage = (value, i) => (args.length > i ? [value, a[i]] : [value])
  const pair = (matcher, not = false) => {
    if (args.length < 2 || args.length > 3) return { keep: `${method} with ${args.length} arguments` }
    return build(withMessage(a[0], 2), `${not ? '.not' : ''}.${matcher}`, [a[1]])
  }
  if (!strict && LOOSE.has(method)) return { keep: `loose (legacy node:assert) ${method}: no exact expect counterpart` }
  switch (method) {
    case 'ok':
      if (args.length < 1 || args.length > 2) return { keep: `ok with ${args.length} arguments` }
      return build(withMessage(a[0], 1), '.toBeTruthy')
    case 'equal': case 'strictEqual': return pair('toBe')
    case 'notEqual': case 'notStrictEqual': return pair('toBe', true)
    case 'deepEqual': case 'deepStrictEqual': return pair('toStrictEqual')
    case 'notDeepEqual': case 'notDeepStrictEqual': return pair('toStrictEqual', true)
    case 'match': return pair('toMatch')
    case 'doesNotMatch': return pair('toMatch', true)
    case 'fail':
      if (args.length > 1) return { keep: 'fail(actual, expected, ...) (legacy form)' }
      return { text: `expect.fail${list(a)}` }
    case 'throws': case 'rejects': {
      if (args.length < 1 || args.length > 3) return { keep: `${method} with ${args.length} arguments` }
      const on = method === 'rejects' ? '.rejects' : ''
      if (args.length === 1) return build([a[0]], `${on}.toThrow`)
      const matcher = classifyMatcher(args[1], sf, checker)
      if (matcher.kind === 'keep') return { keep: matcher.reason }
      if (matcher.kind === 'message') {
        if (args.length > 2) return { keep: `${method} with a string second argument and a third` }
        return build([a[0], a[1]], `${on}.toThrow`)
      }
      const subject = withMessage(a[0], 2)
      if (matcher.kind === 'object') {
        return method === 'rejects'
          ? build(subject, '.rejects.toMatchObject', [matcher.text])
          : build(subject, '.toThrow', [`expect.objectContaining(${matcher.text})`])
      }
      return build(subject, `${on}.toThrow`, [matcher.text])
    }
    case 'doesNotThrow': case 'doesNotReject': {
      if (args.length < 1 || args.length > 2) return { keep: `${method} with ${args.length} arguments` }
      if (args.length === 2 && classifyMatcher(args[1], sf, checker).kind !== 'message') return { keep: `${method} with an error matcher` }
      if (method === 'doesNotThrow') return build(withMessage(a[0], 1), '.not.toThrow')
      if (isFunctionLike(args[0])) return { keep: 'doesNotReject of a function (expect(...).resolves wants a promise)' }
      return build(withMessage(a[0], 1), '.resolves.not.toThrow')
    }
    default:
      return { keep: `assert.${method} has no mapping` }
  }
}

/** Plans the edits of one file: { conversions, kept, importEdits } */
function planFile (sf, checker, forceKeep) {
  const imports = assertImports(sf)
  if (imports.length === 0) return undefined
  const bindings = imports.flatMap((i) => i.bindings)
  const byName = new Map(bindings.map((b) => [b.local, b]))
  const conversions = []
  const kept = []
  const convertedRanges = []

  // Visits node, returning the edits of the converted calls in it (outermost
  // ones only: a converted call's text already holds its inner conversions).
  const visit = (node) => {
    if (ts.isCallExpression(node)) {
      const target = callTarget(node, byName, checker)
      if (target !== undefined) {
        const { binding, method } = target
        const start = node.getStart(sf)
        const line = lineOf(sf, start)
        const key = `${start}`
        const inner = []
        ts.forEachChild(node, (child) => { inner.push(...visit(child)) })
        let result
        if (method === undefined) result = { keep: 'the namespace import is not callable' }
        else if (forceKeep.has(key)) result = { keep: forceKeep.get(key) }
        else result = convert(node, method, binding.strict, sf, checker, inner)
        if (result.keep !== undefined) {
          kept.push({ line, reason: result.keep, method })
          return inner
        }
        const conversion = {
          key, line, method, start, end: node.end, text: result.text,
          narrowing: NARROWING.has(method) && !(binding.strict === false && LOOSE.has(method)),
          refs: identifiersIn(node.arguments[0]),
          ...subjectOf(node.arguments[0], sf)
        }
        conversions.push(conversion)
        convertedRanges.push([start, node.end])
        return [conversion]
      }
    }
    const edits = []
    ts.forEachChild(node, (child) => { edits.push(...visit(child)) })
    return edits
  }
  const outer = visit(sf)
  if (conversions.length === 0 && kept.length === 0) return undefined

  // Which bindings are still used outside the converted calls?
  const stillUsed = new Set()
  const inConverted = (pos) => convertedRanges.some(([s, e]) => pos >= s && pos < e)
  const importNodes = new Set(imports.map((i) => i.declaration))
  const scan = (node) => {
    if (importNodes.has(node)) return
    if (ts.isIdentifier(node) && byName.has(node.text) && !isDeclarationName(node) && !inConverted(node.getStart(sf))) {
      if (refersToImport(node, byName.get(node.text), checker)) stillUsed.add(node.text)
    }
    ts.forEachChild(node, scan)
  }
  scan(sf)

  const edits = outer.map((c) => ({ start: c.start, end: c.end, text: c.text, conversion: c }))
  if (conversions.length > 0) {
    for (const { declaration, bindings: declared } of imports) {
      const unused = declared.filter((b) => !stillUsed.has(b.local))
      if (declared.length > 0 && unused.length === declared.length) {
        edits.push(removeStatement(sf, declaration))
      } else {
        for (const b of unused) if (b.element !== undefined) edits.push(removeListElement(sf, b.element))
      }
    }
    const add = addExpectImport(sf, imports)
    if (add !== undefined) edits.push(add)
  }
  return { conversions, kept, edits }
}

function callTarget (call, byName, checker) {
  const callee = call.expression
  if (ts.isIdentifier(callee)) {
    const binding = byName.get(callee.text)
    if (binding === undefined || !refersToImport(callee, binding, checker)) return undefined
    if (binding.namespace) return { binding, method: undefined }
    return { binding, method: binding.method ?? 'ok' }
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && ts.isIdentifier(callee.name)) {
    const binding = byName.get(callee.expression.text)
    if (binding === undefined || binding.method !== undefined || !refersToImport(callee.expression, binding, checker)) return undefined
    if (callee.name.text === 'strict') return undefined
    return { binding, method: callee.name.text }
  }
  if (ts.isPropertyAccessExpression(callee) && ts.isPropertyAccessExpression(callee.expression) &&
    ts.isIdentifier(callee.expression.expression) && callee.expression.name.text === 'strict') {
    const binding = byName.get(callee.expression.expression.text)
    if (binding === undefined || binding.method !== undefined || !refersToImport(callee.expression.expression, binding, checker)) return undefined
    return { binding: { ...binding, strict: true }, method: callee.name.text }
  }
  return undefined
}

function identifiersIn (node) {
  const names = new Set()
  if (node === undefined) return names
  const visit = (n) => {
    if (ts.isIdentifier(n)) names.add(n.text)
    else if (n.kind === ts.SyntaxKind.ThisKeyword) names.add('this')
    ts.forEachChild(n, visit)
  }
  visit(node)
  return names
}

/** The first argument as a reference (`a.b[0]`), and the reference it is a member of (`a.b`). */
function subjectOf (node, sf) {
  if (node === undefined || !isReference(node)) return {}
  let inner = unwrap(node)
  while (ts.isNonNullExpression(inner)) inner = unwrap(inner.expression)
  const subject = squeeze(inner.getText(sf))
  const parent = ts.isPropertyAccessExpression(inner) || ts.isElementAccessExpression(inner) ? squeeze(inner.expression.getText(sf)) : undefined
  return { subject, subjectParent: parent }
}

function removeStatement (sf, statement) {
  let start = statement.getStart(sf)
  let end = statement.end
  const text = sf.text
  // The whole line: the newline after it, and the indentation before it.
  while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--
  while (end < text.length && (text[end] === ' ' || text[end] === '\t' || text[end] === ';')) end++
  if (text[end] === '\r') end++
  if (text[end] === '\n') end++
  return { start, end, text: '' }
}

function removeListElement (sf, element) {
  const list = element.parent.elements
  const index = list.indexOf(element)
  if (list.length === 1) return removeStatement(sf, element.parent.parent.parent)
  if (index < list.length - 1) return { start: element.getStart(sf), end: list[index + 1].getStart(sf), text: '' }
  return { start: list[index - 1].end, end: element.end, text: '' }
}

function addExpectImport (sf, assertImportList) {
  let vitest
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue
    if (statement.moduleSpecifier.text !== 'vitest') continue
    const clause = statement.importClause
    if (clause === undefined || clause.isTypeOnly) continue
    const named = clause.namedBindings
    if (named !== undefined && ts.isNamedImports(named)) {
      if (named.elements.some((e) => !e.isTypeOnly && e.name.text === 'expect')) return undefined
      vitest ??= named
    }
  }
  if (vitest !== undefined) {
    const elements = vitest.elements
    if (elements.length === 0) return { start: vitest.getStart(sf) + 1, end: vitest.end - 1, text: ' expect ' }
    // Alphabetical among the names when they are sorted already; last otherwise.
    const names = elements.map((e) => e.name.text)
    const sorted = names.every((n, i) => i === 0 || names[i - 1].localeCompare(n) <= 0)
    const before = sorted ? elements.find((e) => e.name.text.localeCompare('expect') > 0) : undefined
    if (before !== undefined) return { start: before.getStart(sf), end: before.getStart(sf), text: 'expect, ' }
    const last = elements[elements.length - 1]
    return { start: last.end, end: last.end, text: ', expect' }
  }
  // No vitest import: add one on a line of its own before the first assert
  // import (which is removed when nothing uses it any more).
  const anchor = assertImportList[0].declaration
  const at = sf.getPositionOfLineAndCharacter(lineOf(sf, anchor.getStart(sf)) - 1, 0)
  return { start: at, end: at, text: 'import { expect } from \'vitest\'\n' }
}

function applyEdits (text, edits) {
  const sorted = [...edits].sort((x, y) => x.start - y.start || x.end - y.end)
  let out = ''
  let at = 0
  const positions = new Map()
  for (const edit of sorted) {
    if (edit.start < at) throw new Error(`overlapping edits at ${edit.start}`)
    out += text.slice(at, edit.start)
    positions.set(edit, out.length)
    out += edit.text
    at = edit.end
  }
  out += text.slice(at)
  return { text: out, positions }
}

// ---------------------------------------------------------------- type check

/** The identifiers a diagnostic points at, and the whole member chain around it. */
function diagnosticNames (sf, start, length) {
  const names = new Set()
  let innermost
  const visit = (node) => {
    if (node.getStart(sf) <= start && start < node.end) innermost = node
    if (node.end <= start || node.getStart(sf) >= start + Math.max(length, 1)) return
    if (ts.isIdentifier(node)) names.add(node.text)
    else if (node.kind === ts.SyntaxKind.ThisKeyword) names.add('this')
    ts.forEachChild(node, visit)
  }
  visit(sf)
  // The node the diagnostic spans, or the innermost one around its start.
  let spanned = innermost
  for (let n = innermost; n !== undefined; n = n.parent) {
    if (n.getStart(sf) === start && n.end === start + length) { spanned = n; break }
    if (n.getStart(sf) < start || n.end > start + length) break
  }
  // `const w: T = v`: the error is on w, the value is v.
  const holder = spanned?.parent
  if (holder !== undefined && (ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder) || ts.isBindingElement(holder) ||
    ts.isPropertyDeclaration(holder) || ts.isParameter(holder)) && holder.name === spanned && holder.initializer !== undefined) {
    spanned = holder.initializer
  }
  let chain = spanned
  const chains = []
  if (chain !== undefined) chains.push(squeeze(chain.getText(sf)))
  while (chain?.parent !== undefined && (ts.isPropertyAccessExpression(chain.parent) || ts.isElementAccessExpression(chain.parent) ||
    ts.isNonNullExpression(chain.parent) || (ts.isCallExpression(chain.parent) && chain.parent.expression === chain))) {
    chain = chain.parent
    chains.push(squeeze(chain.getText(sf)))
  }
  if (chain !== undefined) for (const n of identifiersIn(chain)) names.add(n)
  return { names, node: innermost, chains }
}

const squeeze = (text) => text.replace(/\s+/g, '').replace(/\?\./g, '.').replace(/!/g, '')

function isReference (node) {
  node = unwrap(node)
  if (ts.isNonNullExpression(node)) return isReference(node.expression)
  if (ts.isIdentifier(node) || node.kind === ts.SyntaxKind.ThisKeyword) return true
  if (ts.isPropertyAccessExpression(node)) return isReference(node.expression)
  if (ts.isElementAccessExpression(node)) return isReference(node.expression) && ts.isLiteralExpression(unwrap(node.argumentExpression))
  return false
}

const isPrefix = (prefix, text) => text === prefix || (text.startsWith(prefix) && /^[.[]/.test(text.slice(prefix.length)))

/**
 * Which converted call, of those before a new type error, most likely narrowed
 * what the error is about: the nearest whose subject is the erroring reference
 * or a part of it (`ok(x)` for `x.a`), then the nearest whose subject
 * expression names it (`ok(isError(e))`, `ok(x !== null)`), then the nearest
 * that compares a member of it (`equal(x.kind, 'a')`, a discriminant, for
 * `x.value`).
 */
function pickCulprit (candidates, chains, names) {
  const nearest = (list) => list.sort((x, y) => x.newStart - y.newStart).pop()
  for (const tier of [1, 2, 3]) {
    const culprit = nearest(candidates.filter((c) => matchTier(c, chains, names) === tier))
    if (culprit !== undefined) return culprit
  }
  return undefined
}

function matchTier (c, chains, names) {
  if (c.subject !== undefined && chains.some((t) => isPrefix(c.subject, t))) return 1
  if (c.subject === undefined && [...c.refs].some((r) => names.has(r))) return 2
  if (c.subjectParent !== undefined && chains.some((t) => isPrefix(c.subjectParent, t))) return 3
  return undefined
}

function enclosingFunction (node) {
  for (let n = node; n !== undefined; n = n.parent) {
    if (ts.isFunctionLike(n) || ts.isSourceFile(n)) return n
  }
  return undefined
}

// ---------------------------------------------------------------- main

function main () {
  const options = parseArgs(process.argv.slice(2))
  const files = listFiles(options.paths)
  const parsed = options.typecheck ? loadProject(options.project) : undefined
  if (options.typecheck && parsed === undefined) process.stderr.write(`no ${options.project}: classes and narrowing are not checked\n`)
  const inProject = new Set((parsed?.fileNames ?? []).map((f) => path.resolve(f)))
  const candidates = files.filter((f) => /\bassert\b/.test(readFileSync(f, 'utf8')))
  const needsProgram = parsed !== undefined && candidates.some((f) => inProject.has(f))
  let program = needsProgram ? createProgram(parsed, new Map()) : undefined
  const checker = program?.getTypeChecker()
  const original = new Map(candidates.map((f) => [f, readFileSync(f, 'utf8')]))

  const forceKeep = new Map(candidates.map((f) => [f, new Map()]))
  const reverted = new Map()
  let plans
  const plan = () => {
    plans = new Map()
    for (const file of candidates) {
      if (reverted.has(file)) continue
      const sf = program?.getSourceFile(file) ?? ts.createSourceFile(file, original.get(file), ts.ScriptTarget.Latest, true, scriptKind(file))
      const fileChecker = program?.getSourceFile(file) !== undefined ? checker : undefined
      const p = planFile(sf, fileChecker, forceKeep.get(file))
      if (p === undefined || p.conversions.length === 0) {
        if (p !== undefined) plans.set(file, { ...p, text: original.get(file), positions: new Map() })
        continue
      }
      const { text, positions } = applyEdits(original.get(file), p.edits)
      const startOf = new Map(p.edits.map((e) => [e.start, positions.get(e)]))
      for (const c of p.conversions) {
        c.newStart = startOf.get(c.start)
        c.newEnd = c.newStart + c.text.length
      }
      plans.set(file, { ...p, text })
    }
  }
  plan()

  if (program !== undefined) {
    const before = new Map()
    for (const file of candidates) if (inProject.has(file)) before.set(file, diagnosticsOf(program, file).map(diagnosticKey))
    for (let round = 1; ; round++) {
      const changed = [...plans].filter(([f, p]) => p.text !== original.get(f) && inProject.has(f))
      if (changed.length === 0) break
      const overrides = new Map(changed.map(([f, p]) => [f, p.text]))
      const next = createProgram(parsed, overrides, program)
      let marked = 0
      let revertedNow = 0
      for (const [file, p] of changed) {
        const old = [...(before.get(file) ?? [])]
        const fresh = diagnosticsOf(next, file).filter((d) => {
          const i = old.indexOf(diagnosticKey(d))
          if (i >= 0) { old.splice(i, 1); return false }
          return true
        })
        if (fresh.length === 0) continue
        const sf = next.getSourceFile(file)
        let unexplained = false
        // In the order of the file: an error that a call kept in this round
        // may explain is left for the next round to tell.
        fresh.sort((x, y) => (x.start ?? 0) - (y.start ?? 0))
        const markedHere = []
        for (const d of fresh) {
          if (d.start === undefined) { unexplained = true; continue }
          const { names, chains } = diagnosticNames(sf, d.start, d.length ?? 0)
          // Narrowing stays in the function it happens in (and the closures in it).
          const inScope = p.conversions.filter((c) => {
            if (!c.narrowing || c.newStart === undefined || c.newEnd > d.start) return false
            const f = enclosingFunction(findNodeAt(sf, c.newStart))
            return f !== undefined && f.getStart(sf) <= d.start && d.start < f.end
          })
          const explained = markedHere.filter((c) => inScope.includes(c) && matchTier(c, chains, names) !== undefined)
          let culprit
          let how = 'narrows a type the code after it relies on (assert\'s signature is an assertion, expect\'s is not)'
          if (explained.length === 0) {
            culprit = pickCulprit(inScope, chains, names)
            if (culprit === undefined) {
              culprit = inScope.sort((x, y) => x.newStart - y.newStart).pop()
              if (culprit !== undefined) how = 'a type error follows its conversion (kept as the nearest narrowing assertion before it)'
            }
          }
          if (process.env.ASSERT_TO_EXPECT_DEBUG) {
            process.stderr.write(`${path.relative(process.cwd(), file)}:${lineOf(sf, d.start)} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 100)} -> ${explained.length > 0 ? `(line ${explained[0].line})` : culprit === undefined ? 'none' : `line ${culprit.line}`}\n`)
          }
          if (explained.length > 0) continue
          if (culprit === undefined || forceKeep.get(file).has(culprit.key)) { unexplained = true; continue }
          forceKeep.get(file).set(culprit.key, how)
          markedHere.push(culprit)
          marked++
        }
        if (unexplained && markedHere.length === 0) {
          const messages = fresh.map((d) => `${lineOf(sf, d.start ?? 0)}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
          reverted.set(file, messages)
          revertedNow++
        }
      }
      if (marked === 0 && revertedNow === 0) break
      process.stderr.write(`type check round ${round}: ${marked} call(s) kept for narrowing\n`)
      plan()
      if (round > 20) throw new Error('the type check does not settle')
    }
  }

  // ------------------------------------------------------------ write, summary
  const rel = (f) => path.relative(process.cwd(), f)
  let converted = 0
  const byMethod = new Map()
  const changedFiles = []
  const keptLines = []
  for (const [file, p] of plans) {
    for (const k of p.kept) keptLines.push(`${rel(file)}:${k.line}  assert.${k.method ?? '(namespace)'}: ${k.reason}`)
    if (p.text === original.get(file)) continue
    changedFiles.push(rel(file))
    converted += p.conversions.length
    for (const c of p.conversions) byMethod.set(c.method, (byMethod.get(c.method) ?? 0) + 1)
    if (!options.check) writeFileSync(file, p.text)
  }
  const out = []
  out.push(`assert-to-expect: ${files.length} file(s) scanned, ${changedFiles.length} ${options.check ? 'would change' : 'changed'}`)
  for (const f of changedFiles) out.push(`  changed: ${f}`)
  out.push(`calls converted: ${converted}${converted > 0 ? ` (${[...byMethod].sort((x, y) => y[1] - x[1]).map(([m, n]) => `${m} ${n}`).join(', ')})` : ''}`)
  out.push(`calls kept as assert: ${keptLines.length}`)
  for (const k of keptLines) out.push(`  kept: ${k}`)
  for (const [file, messages] of reverted) {
    out.push(`  file left unchanged (its conversion does not type-check): ${rel(file)}`)
    for (const m of messages) out.push(`    ${m}`)
  }
  process.stdout.write(`${out.join('\n')}\n`)
  if (options.check && changedFiles.length > 0) process.exitCode = 1
}

function findNodeAt (sf, pos) {
  let found = sf
  const visit = (node) => {
    if (node.getStart(sf) <= pos && pos < node.end) {
      found = node
      ts.forEachChild(node, visit)
    }
  }
  ts.forEachChild(sf, visit)
  return found
}

main()
