// Registers Elixir with JupyterLab's editor languages, so cells of a notebook whose kernel
// reports the `text/x-elixir` MIME type (the Elixir (IEx) kernel) get syntax highlighting.
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';

const plugin = {
  id: 'jupyterlab-elixir-highlight:plugin',
  description: 'Elixir syntax highlighting (codemirror-lang-elixir).',
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
        return elixir();
      }
    });
  }
};

export default plugin;
