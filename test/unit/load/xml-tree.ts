// A strict reader for the XML subset our JUnit writers emit (declaration, elements, attributes, text, the five
// predefined entities and numeric references): it throws on anything not well-formed, so a test can check both
// that a file parses and that escaped values come back exactly as they went in.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NAME = /^[A-Za-z_][\w.-]*/;

// Characters XML 1.0 forbids even as references.
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function decode(raw: string, where: number): string {
  if (/[<]/.test(raw)) throw new Error(`raw "<" in character data near offset ${where}`);
  if (FORBIDDEN.test(raw)) throw new Error(`a character XML 1.0 forbids near offset ${where}`);
  return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`bare "&" near offset ${where}`);
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const value = ENTITIES[ref];
    if (value === undefined) throw new Error(`unknown entity ${whole} near offset ${where}`);
    return value;
  });
}

export function parseXml(source: string): XmlElement {
  let pos = 0;
  const decl = /^<\?xml [^?]*\?>\s*/.exec(source);
  if (decl) pos = decl[0].length;
  const skipSpace = () => {
    while (pos < source.length && /\s/.test(source[pos] as string)) pos++;
  };

  function element(): XmlElement {
    if (source[pos] !== '<') throw new Error(`expected "<" at offset ${pos}`);
    pos++;
    const name = NAME.exec(source.slice(pos))?.[0];
    if (!name) throw new Error(`expected an element name at offset ${pos}`);
    pos += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', pos)) {
        pos += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (source[pos] === '>') {
        pos++;
        break;
      }
      const attr = NAME.exec(source.slice(pos))?.[0];
      if (!attr) throw new Error(`expected an attribute name at offset ${pos}`);
      pos += attr.length;
      if (source[pos] !== '=' || source[pos + 1] !== '"') throw new Error(`expected ="..." after ${attr} at offset ${pos}`);
      const end = source.indexOf('"', pos + 2);
      if (end < 0) throw new Error(`unterminated attribute ${attr}`);
      if (attr in attrs) throw new Error(`duplicate attribute ${attr}`);
      const raw = source.slice(pos + 2, end);
      // A parser turns a raw line break or tab in an attribute into a space: the writer must encode them.
      if (/[\n\r\t]/.test(raw)) throw new Error(`raw whitespace character in attribute ${attr}`);
      attrs[attr] = decode(raw, pos);
      pos = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const next = source.indexOf('<', pos);
      if (next < 0) throw new Error(`unclosed <${name}>`);
      text += decode(source.slice(pos, next), pos);
      pos = next;
      if (source.startsWith('</', pos)) {
        const close = `</${name}>`;
        if (!source.startsWith(close, pos)) throw new Error(`expected ${close} at offset ${pos}`);
        pos += close.length;
        return { name, attrs, children, text };
      }
      children.push(element());
    }
  }

  const root = element();
  skipSpace();
  if (pos !== source.length) throw new Error(`content after the root element at offset ${pos}`);
  return root;
}

/** Every element named `name` below (and including) `root`, in document order. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const found = root.name === name ? [root] : [];
  return found.concat(...root.children.map((c) => findAll(c, name)));
}
