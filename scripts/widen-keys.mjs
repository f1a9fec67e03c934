// The bigint variant of the generated TS core (gen-ts-core --bigint): the same core files with
// `type u64 = bigint`, made to type-check by rewriting, with the TypeScript checker, exactly the
// places where AssemblyScript mixes u64 with i32/f64 implicitly:
//
//   a number literal where a bigint is needed (a u64 declaration, argument, return value, the
//   other operand of a binary operator, a conditional's other branch)  ->  the literal with `n`
//   any other number expression there                                  ->  BigInt(expression)
//   `<u64>e` of a number e                                              ->  BigInt(e) (literal: `n`)
//   `<i32>e`, `<f64>e` of a bigint e, or a bigint where a number is needed ->  Number(e)
//
// Rewrites never add or remove lines, so stack traces keep pointing at assembly/ lines. The
// pass repeats until nothing changes (a rewrite can change an enclosing expression's type),
// then every diagnostic tsc still reports fails the build with its location: a construct the
// rules do not cover stops the generator instead of producing a core that silently differs.
import ts from 'typescript';

/** Rounds of rewriting before giving up (two suffice for today's core: casts, then their users). */
const PASSES_MAX = 6;
/** Operators whose operands AssemblyScript widens to a common type. */
const MIXING = new Set([
  ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken, ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.SlashToken,
  ts.SyntaxKind.PercentToken, ts.SyntaxKind.AmpersandToken, ts.SyntaxKind.BarToken, ts.SyntaxKind.CaretToken,
  ts.SyntaxKind.LessThanLessThanToken, ts.SyntaxKind.GreaterThanGreaterThanToken,
  ts.SyntaxKind.LessThanToken, ts.SyntaxKind.LessThanEqualsToken, ts.SyntaxKind.GreaterThanToken,
  ts.SyntaxKind.GreaterThanEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.PlusEqualsToken, ts.SyntaxKind.MinusEqualsToken, ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken, ts.SyntaxKind.PercentEqualsToken, ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken, ts.SyntaxKind.LessThanLessThanEqualsToken, ts.SyntaxKind.GreaterThanGreaterThanEqualsToken,
]);
const NUMBER_CASTS = new Set(['i32', 'f64']);

const OPTIONS = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true, noEmit: true, types: [], lib: ['lib.es2022.d.ts'], skipLibCheck: true,
};

function isBig(type) { return (type.flags & ts.TypeFlags.BigIntLike) !== 0 && (type.flags & ts.TypeFlags.NumberLike) === 0; }
function isNum(type) { return (type.flags & ts.TypeFlags.NumberLike) !== 0 && (type.flags & ts.TypeFlags.BigIntLike) === 0; }

/** The node an expression stands for in its parent, looking through parentheses. */
function outermost(node) {
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  return node;
}

function stripParens(node) {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return node;
}

/** A numeric literal, possibly negated, as a bigint literal's text; null for other expressions. */
function literalText(node, sourceFile) {
  const bare = stripParens(node);
  const literal = ts.isPrefixUnaryExpression(bare) && bare.operator === ts.SyntaxKind.MinusToken ? bare.operand : bare;
  if (!ts.isNumericLiteral(literal)) return null;
  if (/[.eE]/.test(literal.text) && !/^0[xX]/.test(literal.getText(sourceFile))) {
    throw new Error(`not an integer literal: ${literal.getText(sourceFile)}`);
  }
  return literal;
}

/**
 * Whether an arithmetic expression has a bigint operand (at any depth): its number type is
 * then only tsc's error type for the mix, and once its number operands are widened it is a
 * bigint itself, so it must not be wrapped (`start + size - 1` -> `start + size - 1n`, not
 * `BigInt(start + size - 1n)`, a runtime call on every evaluation).
 */
function mixesBig(node, checker) {
  const bare = stripParens(node);
  if (!ts.isBinaryExpression(bare) || !MIXING.has(bare.operatorToken.kind)) return false;
  return [bare.left, bare.right].some((side) => isBig(checker.getTypeAtLocation(side)) || mixesBig(side, checker));
}

/** 'bigint', 'number' or null: the type the expression's place requires when it is not its own. */
function wanted(node, checker) {
  const own = checker.getTypeAtLocation(node);
  const place = outermost(node);
  const parent = place.parent;
  const needs = (type) => (isBig(type) && isNum(own) ? 'bigint' : isNum(type) && isBig(own) ? 'number' : null);
  if (ts.isBinaryExpression(parent) && MIXING.has(parent.operatorToken.kind)) {
    const other = parent.left === place ? parent.right : parent.left;
    const want = needs(checker.getTypeAtLocation(other));
    // A number operand meets a bigint one: the number side converts (AssemblyScript widens).
    if (want === 'bigint') return want;
    if (want === 'number') return null; // the other side is the one to convert
  }
  if (ts.isConditionalExpression(parent) && parent.condition !== place) {
    const other = parent.whenTrue === place ? parent.whenFalse : parent.whenTrue;
    if (needs(checker.getTypeAtLocation(other)) === 'bigint') return 'bigint';
  }
  const context = checker.getContextualType(place);
  return context ? needs(context) : null;
}

/** The edits one pass makes to one file: [start, end, text] replacements. */
function fileEdits(sourceFile, checker) {
  const edits = [];
  const wrap = (node, fn) => {
    edits.push([node.getStart(sourceFile), node.getStart(sourceFile), `${fn}(`]);
    edits.push([node.getEnd(), node.getEnd(), ')']);
  };
  const toBig = (node) => {
    const literal = literalText(node, sourceFile);
    if (literal) edits.push([literal.getEnd(), literal.getEnd(), 'n']);
    else wrap(node, 'BigInt');
  };
  const visit = (node) => {
    if (ts.isTypeNode(node) || ts.isImportDeclaration(node) || ts.isTypeAliasDeclaration(node)) return;
    if (ts.isTypeAssertionExpression(node)) {
      const target = node.type.getText(sourceFile);
      const inner = checker.getTypeAtLocation(node.expression);
      const castStart = node.getStart(sourceFile);
      const innerStart = node.expression.getStart(sourceFile);
      if (target === 'u64' && isNum(inner)) {
        const literal = literalText(node.expression, sourceFile);
        if (literal) edits.push([castStart, innerStart, ''], [literal.getEnd(), literal.getEnd(), 'n']);
        else edits.push([castStart, innerStart, 'BigInt('], [node.getEnd(), node.getEnd(), ')']);
      } else if (NUMBER_CASTS.has(target) && isBig(inner)) {
        edits.push([castStart, innerStart, 'Number('], [node.getEnd(), node.getEnd(), ')']);
      }
      ts.forEachChild(stripParens(node.expression), visit); // the cast itself gives the inner expression its type
      return;
    }
    if (ts.isExpression(node) && !ts.isParenthesizedExpression(node)) {
      const want = wanted(node, checker);
      if (want === 'bigint' && !mixesBig(node, checker)) { toBig(node); return; }
      if (want === 'number') { wrap(node, 'Number'); return; }
    }
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return edits;
}

function applyEdits(text, edits) {
  // Last first, so earlier offsets stay valid; at one offset, closing text before opening text.
  edits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  let out = text;
  for (const [start, end, insert] of edits) out = out.slice(0, start) + insert + out.slice(end);
  return out;
}

function createProgram(files, old) {
  const host = ts.createCompilerHost(OPTIONS, true);
  const baseGet = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version) =>
    files.has(name) ? ts.createSourceFile(name, files.get(name), version, true) : baseGet(name, version);
  const baseExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || baseExists(name);
  const baseRead = host.readFile.bind(host);
  host.readFile = (name) => files.get(name) ?? baseRead(name);
  return ts.createProgram([...files.keys()], OPTIONS, host, old);
}

function describe(diagnostic) {
  const where = diagnostic.file
    ? `${diagnostic.file.fileName}:${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1}: `
    : '';
  return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
}

/**
 * Rewrites `files` (absolute path -> text, all with `type u64 = bigint`) in place until they
 * type-check. `fixed` names the files that are written by hand and only checked. Throws with
 * every remaining diagnostic.
 */
export function widenKeys(files, fixed) {
  let program;
  for (let pass = 0; pass < PASSES_MAX; pass++) {
    program = createProgram(files, program);
    const checker = program.getTypeChecker();
    let changed = false;
    for (const [name, text] of files) {
      if (fixed.has(name)) continue;
      const edits = fileEdits(program.getSourceFile(name), checker);
      if (edits.length === 0) continue;
      files.set(name, applyEdits(text, edits));
      changed = true;
    }
    if (!changed) break;
  }
  program = createProgram(files, program);
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  if (diagnostics.length > 0) throw new Error(diagnostics.map(describe).join('\n'));
}
