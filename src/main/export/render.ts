/** Objects as YAML documents with comments: one string per file, documents separated by `---`. */
import { Document, isNode } from 'yaml';

export interface Doc {
  readonly object: Readonly<Record<string, unknown>>;
  /** Lines written above the document. */
  readonly comment?: string;
  /** Comments at the end of a field's line. */
  readonly fieldComments?: readonly {
    readonly path: readonly (string | number)[];
    readonly comment: string;
  }[];
}

const indent = (text: string): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? '' : ` ${l}`))
    .join('\n');

export function renderDocuments(docs: readonly Doc[]): string {
  return docs
    .map((d) => {
      const doc = new Document(d.object, { aliasDuplicateObjects: false });
      if (d.comment !== undefined && d.comment !== '') doc.commentBefore = indent(d.comment);
      for (const f of d.fieldComments ?? []) {
        const node = doc.getIn(f.path, true);
        if (isNode(node)) node.comment = indent(f.comment);
      }
      return doc.toString({ lineWidth: 0, minContentWidth: 0 });
    })
    .join('---\n');
}
