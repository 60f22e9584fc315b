import { syntaxHighlighting } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { classHighlighter } from '@lezer/highlight';
import { shellMarks, shellSpans, shellTokens } from './shell-lines';

/** Each shell token of `text` as `text:tag`. */
function tokens(text: string): string[] {
  return shellSpans(text).flatMap((s) => [
    `${text.slice(s.marker.from, s.marker.to)}:meta`,
    ...shellTokens(text, s.from, s.to).map((t) => `${text.slice(t.from, t.to)}:${t.tag}`)
  ]);
}

describe('shell lines in a TypeScript cell', () => {
  test('a ! line is shell: its command, options, strings, variables, pipes and comments', () => {
    expect(tokens("!mrconvert -quiet $in 'out file.mif' | wc -l # count")).toEqual([
      '!:meta',
      'mrconvert:command',
      '-quiet:option',
      '$in:variable',
      "'out file.mif':string",
      '|:operator',
      'wc:command',
      '-l:option',
      '# count:comment'
    ]);
  });

  test('TypeScript lines, !(x), != and a name this cell declares stay TypeScript', () => {
    expect(shellSpans('const x = 1\n(!x)\nif (a != b) {}\nlet ok = true\n!ok')).toEqual([]);
  });

  test('a capture and a magic line are shell after their marker', () => {
    expect(tokens('const r = !mrinfo -size fa.mif')).toEqual([
      '!:meta',
      'mrinfo:command',
      '-size:option'
    ]);
    expect(tokens('%env FSLOUTPUTTYPE=NIFTI_GZ')).toEqual(['%env:meta', 'FSLOUTPUTTYPE:variable']);
  });

  test('a %%bash cell is shell after its first line, keywords and all', () => {
    const cell = '%%bash -e\nfor f in *.mif; do\n  mrinfo "$f" > /dev/null\ndone';
    expect(tokens(cell)).toEqual([
      '%%bash -e:meta',
      'for:keyword',
      'in:keyword',
      ';:operator',
      'do:keyword',
      'mrinfo:command',
      '"$f":string',
      '>:operator',
      'done:keyword'
    ]);
  });

  test("the marks carry the editor's own highlight classes for shell tokens", () => {
    const state = EditorState.create({
      doc: "console.log(1)\n!echo 'hi' # c",
      extensions: [syntaxHighlighting(classHighlighter)]
    });
    const marks = shellMarks(state).map((r) => [
      state.doc.sliceString(r.from, r.to),
      String((r.value.spec as { class: string }).class)
    ]);
    expect(marks).toEqual([
      ["!echo 'hi' # c", 'jp-WarrenShell'],
      ['!', 'jp-WarrenShell-token tok-meta'],
      ['echo', 'jp-WarrenShell-token tok-variableName'],
      ["'hi'", 'jp-WarrenShell-token tok-string'],
      ['# c', 'jp-WarrenShell-token tok-comment']
    ]);
  });
});
