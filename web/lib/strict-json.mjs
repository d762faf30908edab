// A strict JSON parser for untrusted headers. JSON.parse keeps the last of duplicate keys without a
// word and recurses as deep as the input nests (a stack overflow at a few thousand levels); here a
// duplicate key anywhere and nesting beyond a bound are errors. Objects come back without a
// prototype, so no key ('__proto__' among them) can reach Object.prototype. Pure ES module.

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const LITERALS = [['true', true], ['false', false], ['null', null]];

// Keys from a file appear in messages: short, and with anything unprintable as an escape.
function printable(key) {
  const s = key.length > 40 ? key.slice(0, 40) + '...' : key;
  return `"${s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * Parses JSON text, refusing duplicate keys and nesting deeper than maxDepth arrays and objects.
 * @param {string} text
 * @param {number} maxDepth
 * @returns {*} the value; objects have a null prototype
 * @throws {SyntaxError} naming the problem and where it is
 */
export function parseStrictJson(text, maxDepth) {
  let at = 0;
  const fail = (what) => { throw new SyntaxError(`${what} at position ${at}`); };
  const match = (re) => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m) at = re.lastIndex;
    return m?.[0];
  };
  const skip = () => match(WHITESPACE);
  const expect = (c) => {
    skip();
    if (text[at] !== c) fail(text[at] === undefined ? `expected '${c}' but the text ended` : `expected '${c}'`);
    at++;
  };
  const string = () => {
    const s = match(STRING);
    if (s === undefined) fail('expected a string');
    return JSON.parse(s); // one flat string: safe, and it decodes the escapes
  };

  // Recursion goes no deeper than maxDepth, so the stack cannot overflow.
  function value(depth) {
    skip();
    const c = text[at];
    if (c === '{' || c === '[') {
      if (depth >= maxDepth) fail(`nested more than ${maxDepth} deep`);
      at++;
      return c === '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    for (const [word, v] of LITERALS) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return v;
      }
    }
    const n = match(NUMBER);
    if (n === undefined) fail(c === undefined ? 'expected a value but the text ended' : 'expected a value');
    return Number(n);
  }

  function object(depth) {
    const out = Object.create(null);
    skip();
    if (text[at] === '}') {
      at++;
      return out;
    }
    for (;;) {
      skip();
      const keyAt = at;
      const key = string();
      if (Object.hasOwn(out, key)) {
        at = keyAt;
        fail(`duplicate key ${printable(key)}`);
      }
      expect(':');
      out[key] = value(depth);
      skip();
      if (text[at] === '}') {
        at++;
        return out;
      }
      expect(',');
    }
  }

  function array(depth) {
    const out = [];
    skip();
    if (text[at] === ']') {
      at++;
      return out;
    }
    for (;;) {
      out.push(value(depth));
      skip();
      if (text[at] === ']') {
        at++;
        return out;
      }
      expect(',');
    }
  }

  const result = value(0);
  skip();
  if (at < text.length) fail('unexpected text after the value');
  return result;
}
