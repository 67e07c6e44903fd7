/**
 * What this library does with files written for older (and newer) versions (CHANGELOG.md, "Formats"): the oldest
 * manifest layout loads and unknown keys are ignored; a newer manifest format is MODEL_CORRUPT naming it; the
 * shipped demo adapter (format 1, written before format 2 existed) still parses against the running model's full
 * binding; a format this library does not know is `unsupported-version`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isLocalshelfError } from '../../../src/errors';
import { parseAdapter } from '../../../workers/adapters/format';
import { checkManifest } from '../../../workers/runtime/load-model';

const dir = fileURLToPath(new URL('../../../public/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${dir}models/beauty/manifest.json`, 'utf8'));
const ids = new Set<string>(JSON.parse(readFileSync(`${dir}models/beauty/catalog.json`, 'utf8')).items.map((i: { id: string }) => i.id));

describe('formats across versions', () => {
  it('the first manifest layout (no lora, text, eventTypes) loads; keys a newer pipeline adds are ignored', () => {
    const oldest = { format: 1, name: 'beauty', dim: 64, maxLen: 50, numItems: 12101, files: manifest.files, sha256: manifest.sha256 };
    expect(checkManifest(oldest).numItems).toBe(12101);
    expect(checkManifest({ ...manifest, someFutureKey: { x: 1 } }).dim).toBe(64);
  });

  it('a newer manifest format is MODEL_CORRUPT, naming the format', () => {
    let error: unknown;
    try {
      checkManifest({ ...manifest, format: 2 });
    } catch (e) {
      error = e;
    }
    expect(isLocalshelfError(error, 'MODEL_CORRUPT')).toBe(true);
    expect((error as Error).message).toMatch(/format 2 is not supported/);
  });

  it('the shipped format-1 demo adapter parses against the running model, item-table binding included', () => {
    const bytes = new Uint8Array(readFileSync(`${dir}adapters/beauty-demo-v1.lsad`));
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(1);
    const parsed = parseAdapter(bytes, {
      lora: manifest.lora, numItems: manifest.numItems, dim: manifest.dim, baseItems: manifest.sha256['items.lsim'], hasItem: (id) => ids.has(id),
    });
    expect(parsed.header.baseModel).toBe(manifest.sha256['encoder.int8.onnx']);
    expect(parsed.items).toBeUndefined();
    expect(parsed.tensors.size).toBeGreaterThan(0);
  });

  it('a format version this library does not know is unsupported-version (ADAPTER_MALFORMED)', () => {
    const bytes = new Uint8Array(readFileSync(`${dir}adapters/beauty-demo-v1.lsad`));
    const next = bytes.slice();
    new DataView(next.buffer).setUint32(4, 3, true);
    let error: unknown;
    try {
      parseAdapter(next, { lora: manifest.lora, numItems: manifest.numItems });
    } catch (e) {
      error = e;
    }
    expect(isLocalshelfError(error, 'ADAPTER_MALFORMED')).toBe(true);
    expect((error as Error).message).toMatch(/^unsupported-version/);
  });
});
