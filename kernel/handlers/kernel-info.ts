import { readFileSync } from 'node:fs';
import type { JSONObject } from '../../src/contract';
import { packageRoot } from '../paths';
import type { Handler } from '../protocol/dispatcher';
import { PROTOCOL_VERSION } from '../protocol/message';

export type Language = 'typescript' | 'javascript';

function version(pkg: string): string {
  try {
    const parsed: unknown = JSON.parse(
      readFileSync(pkg.startsWith('/') ? pkg : require.resolve(`${pkg}/package.json`), 'utf8')
    );
    return typeof parsed === 'object' && parsed !== null && 'version' in parsed
      ? String(parsed.version)
      : '';
  } catch {
    return '';
  }
}

/** The kernel_info_reply content (also answered on control, from the io thread). */
export function kernelInfo(language: Language): JSONObject {
  const ts = language === 'typescript';
  return {
    protocol_version: PROTOCOL_VERSION,
    implementation: 'warren',
    implementation_version: version(packageRoot() + '/package.json'),
    language_info: ts
      ? {
          name: 'typescript',
          version: version('@tslab/typescript-for-tslab'),
          mimetype: 'text/typescript',
          file_extension: '.ts',
          // A string: runtimed's parser takes a string or {name, version: int}
          // and refuses {name: 'javascript', typescript: true}. JupyterLab 4
          // and Notebook 7 look the string up by name in their CodeMirror
          // language registry (EditorLanguageRegistry.findBest), where
          // 'typescript' is the TypeScript language; the old object found
          // 'javascript' there, and TypeScript was highlighted as JavaScript.
          codemirror_mode: 'typescript',
          pygments_lexer: 'typescript'
        }
      : {
          name: 'javascript',
          version: process.versions.node,
          mimetype: 'text/javascript',
          file_extension: '.js',
          codemirror_mode: 'javascript',
          pygments_lexer: 'javascript'
        },
    banner: `warren: ${ts ? 'TypeScript' : 'JavaScript'} on Node.js ${process.versions.node}, with !shell, %%bash and sixel images`,
    help_links: [],
    // JEP 92's optional features: warren has no debugger and no subshells.
    // `iopub_welcome` (JEP 65) is listed as Posit's Amalthea lists it.
    supported_features: ['iopub_welcome'],
    debugger: false
  };
}

/** kernel_info_request on shell (control's copy is answered by the io thread). */
export function kernelInfoHandler(info: JSONObject): Handler {
  return async () => ({ status: 'ok', ...info });
}
