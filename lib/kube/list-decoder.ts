/**
 * Decodes a LIST response as it arrives: each element of the top-level `items` array is cut out of the
 * text chunks and parsed on its own; everything else (`kind`, `apiVersion`, `metadata` with the
 * continue token) is parsed at the end.
 *
 * Why: a 500-item page is 1–2 MB of JSON. Buffering it means the socket chunks, their concatenation
 * and one large string live until the page ends — long enough to be promoted out of V8's young
 * generation, so they are only freed by a full collection. In a 100k-object backup those buffers were
 * 60–90 MB of the peak RSS. Here every chunk is consumed when it arrives, and the only strings are
 * items of a few KB.
 */

/** What the decoder produced: the items and the list without them. */
export interface DecodedList {
  readonly items: unknown[];
  /** The list object with `items` left out (`metadata.continue`, `metadata.resourceVersion`, …). */
  readonly list: Record<string, unknown>;
}

const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** A streaming decoder of one LIST response; feed it the body's text, in order. */
export interface ListDecoder {
  write(text: string): void;
  /** @throws SyntaxError when the body is not a JSON object */
  end(): DecodedList;
}

/** Creates a {@link ListDecoder}. */
export const createListDecoder = (): ListDecoder => {
  const items: unknown[] = [];
  /** Text outside the items array, with `[]` in its place. */
  let rest = "";
  let depth = 0;
  let inString = false;
  /** The previous character was a backslash inside a string (possibly at the end of the last chunk). */
  let escaped = false;
  /** Start of the current string token in the current chunk (depth-1 keys are read from it). */
  let stringStart = -1;
  /** The depth-1 string just closed, while it may still be the key of the next value. */
  let lastKey: string | undefined;
  let keyParts: string[] | undefined;
  /** Inside the top-level `items` array. */
  let inItems = false;
  /** Pieces of the item being read, from earlier chunks. */
  let itemParts: string[] = [];
  let itemStart = -1;

  const write = (text: string): void => {
    const n = text.length;
    let restFrom = inItems ? -1 : 0;
    if (itemStart !== -1 || (inItems && itemParts.length > 0)) itemStart = 0;
    if (inString && depth === 1 && !inItems) stringStart = 0;
    /** Position of the next backslash at or after `i` (-1: none left), found once and reused. */
    let nextBackslash = -2;
    let i = 0;
    while (i < n) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        // jump to the next quote or backslash; everything between is string content
        const quote = text.indexOf('"', i);
        if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = text.indexOf("\\", i);
        const backslash = nextBackslash;
        const next = backslash !== -1 && (quote === -1 || backslash < quote) ? backslash : quote;
        if (next === -1) {
          i = n;
          break;
        }
        if (next === backslash) {
          escaped = true;
          i = next + 1;
          continue;
        }
        inString = false;
        if (depth === 1 && !inItems) {
          const piece = text.slice(stringStart, next + 1);
          lastKey = keyParts ? keyParts.join("") + piece : piece;
          keyParts = undefined;
        }
        i = next + 1;
        continue;
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        inString = true;
        if (depth === 1 && !inItems) stringStart = i;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (depth === 1 && c === OPEN_BRACKET && lastKey === '"items"' && !inItems) {
          inItems = true;
          rest += `${text.slice(restFrom, i)}[]`;
          restFrom = -1;
        } else if (inItems && depth === 2) {
          itemStart = i;
          itemParts = [];
        }
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (inItems && depth === 2 && itemStart !== -1) {
          const piece = text.slice(itemStart, i + 1);
          items.push(JSON.parse(itemParts.length > 0 ? itemParts.join("") + piece : piece));
          itemParts = [];
          itemStart = -1;
        } else if (inItems && depth === 1) {
          inItems = false;
          restFrom = i + 1;
        }
      } else if (c === COMMA && depth === 1) {
        lastKey = undefined;
      }
      i++;
    }
    if (restFrom !== -1) rest += text.slice(restFrom);
    if (itemStart !== -1) itemParts.push(text.slice(itemStart));
    if (inString && depth === 1 && !inItems) {
      keyParts ??= [];
      keyParts.push(text.slice(stringStart));
    }
  };

  return {
    write,
    end() {
      const list = JSON.parse(rest) as Record<string, unknown>;
      if (list === null || typeof list !== "object" || Array.isArray(list))
        throw new SyntaxError("the response is not a JSON object");
      delete list.items;
      return { items, list };
    },
  };
};
