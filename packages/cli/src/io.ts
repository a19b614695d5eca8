import { parseAllDocuments } from 'yaml';

/** What a command may touch: injected so the commands stay testable and the entry point stays a few lines. */
export interface CliIO {
  readonly argv: readonly string[];
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly readFile: (file: string) => Promise<string>;
}

/** Exit statuses of the CLI. */
export const EXIT = { ok: 0, failure: 1, invalidInput: 2, planProblems: 3 } as const;

/** Input the user must fix; the message names the file, the document and the field. */
export class InputError extends Error {
  readonly code = 'INVALID_INPUT';
}

/** One YAML document of a file, with where it came from (for messages). */
export interface SourceDocument {
  readonly file: string;
  /** 1-based position of the document in its file. */
  readonly index: number;
  readonly value: unknown;
}

/** `file` or `file (document 2)` when the file holds several documents. */
export function where(doc: SourceDocument, total = 2): string {
  return total > 1 ? `${doc.file} (document ${doc.index})` : doc.file;
}

/** Reads every non-empty YAML (or JSON) document of a file; a syntax error is an InputError naming the place. */
export async function loadDocuments(io: CliIO, file: string): Promise<SourceDocument[]> {
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (cause) {
    throw new InputError(`${file}: cannot read the file (${(cause as Error).message})`, { cause });
  }
  const docs: SourceDocument[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const first = doc.errors[0];
    if (first) {
      throw new InputError(`${file} (document ${i + 1}): not valid YAML: ${first.message.split('\n')[0] ?? ''}`);
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) docs.push({ file, index: i + 1, value });
  });
  return docs;
}

/** Prints a table with left-aligned columns separated by two spaces, like kubectl. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
