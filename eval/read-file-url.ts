/**
 * `fetchFile` for the text encoder in Node (evaluation, tools, unit tests): a `file:` URL is read from disk, any
 * other URL is fetched. A file that is not there rejects with `MODEL_FETCH`, as a 404 does in the worker.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { LocalshelfError } from '../src/errors';

export async function readFileUrl(url: string): Promise<Uint8Array> {
  if (url.startsWith('file:')) {
    try {
      return new Uint8Array(await readFile(fileURLToPath(url)));
    } catch (cause) {
      throw new LocalshelfError('MODEL_FETCH', `could not read ${url}`, { cause });
    }
  }
  const res = await fetch(url).catch((cause: unknown) => {
    throw new LocalshelfError('MODEL_FETCH', `could not fetch ${url}`, { cause });
  });
  if (!res.ok) throw new LocalshelfError('MODEL_FETCH', `${url} answered ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}
