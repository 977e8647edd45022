// Registers Elixir with JupyterLab's editor languages, so cells of a notebook whose kernel
// reports the `text/x-elixir` MIME type (the Elixir (IEx) kernel) get syntax highlighting.
//
// A cell whose first line is a magic (`%quiz`, `%mix_test`, `%interact`) is not Elixir: its
// magic line, and the body of every magic but `%interact` (which runs Elixir), are shown as
// plain text, so a quiz question's apostrophe does not colour the rest of the cell as a string.
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { LanguageSupport } from '@codemirror/language';
import { RangeSetBuilder } from '@codemirror/state';
import { Decoration, EditorView, ViewPlugin } from '@codemirror/view';

const MAGIC = /^\s*(%[a-z][a-z0-9_]*)/;
const ELIXIR_BODY = new Set(['%interact']);

const magicLine = Decoration.line({ class: 'cm-iex-magicLine' });
const plainText = Decoration.mark({ class: 'cm-iex-plain' });

function magicDecorations(state) {
  const builder = new RangeSetBuilder();
  const first = state.doc.line(1);
  const match = MAGIC.exec(first.text);
  if (match) {
    builder.add(first.from, first.from, magicLine);
    const end = ELIXIR_BODY.has(match[1]) ? first.to : state.doc.length;
    if (end > first.from) {
      builder.add(first.from, end, plainText);
    }
  }
  return builder.finish();
}

const magicCells = [
  ViewPlugin.fromClass(
    class {
      constructor(view) {
        this.decorations = magicDecorations(view.state);
      }
      update(update) {
        if (update.docChanged) {
          this.decorations = magicDecorations(update.state);
        }
      }
    },
    { decorations: plugin => plugin.decorations }
  ),
  EditorView.baseTheme({
    '.cm-iex-plain, .cm-iex-plain *': {
      color: 'var(--jp-content-font-color1) !important',
      fontWeight: 'normal !important',
      fontStyle: 'normal !important'
    },
    '.cm-iex-magicLine .cm-iex-plain, .cm-iex-magicLine .cm-iex-plain *': {
      color: 'var(--jp-mirror-editor-keyword-color) !important'
    }
  })
];

const plugin = {
  id: 'jupyterlab-elixir-highlight:plugin',
  description: 'Elixir syntax highlighting (codemirror-lang-elixir), magic cells as plain text.',
  autoStart: true,
  requires: [IEditorLanguageRegistry],
  activate: (app, languages) => {
    languages.addLanguage({
      name: 'Elixir',
      displayName: 'Elixir',
      alias: ['elixir', 'ex', 'exs'],
      mime: 'text/x-elixir',
      extensions: ['ex', 'exs'],
      async load() {
        const { elixir } = await import('codemirror-lang-elixir');
        const support = elixir();
        return new LanguageSupport(support.language, [support.support, magicCells]);
      }
    });
  }
};

export default plugin;
