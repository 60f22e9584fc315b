import { readFileSync } from 'node:fs';
import { isRecord } from '../../src/contract';

export type Channel = 'shell' | 'control' | 'stdin' | 'iopub' | 'hb';

export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  key: string;
  signature_scheme: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
}

export const CHANNELS: readonly Channel[] = ['shell', 'control', 'stdin', 'iopub', 'hb'];

/** Reads and checks a connection file; a clear error names the bad field. */
export function readConnectionFile(path: string): ConnectionInfo {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isRecord(raw)) {
    throw new Error(`${path}: a connection file must hold a JSON object`);
  }
  const transport = raw.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'ipc') {
    throw new Error(`${path}: unknown transport ${JSON.stringify(transport)}`);
  }
  const info: ConnectionInfo = {
    transport,
    ip: typeof raw.ip === 'string' ? raw.ip : '127.0.0.1',
    key: typeof raw.key === 'string' ? raw.key : '',
    signature_scheme:
      typeof raw.signature_scheme === 'string' ? raw.signature_scheme : 'hmac-sha256',
    shell_port: 0,
    control_port: 0,
    stdin_port: 0,
    iopub_port: 0,
    hb_port: 0
  };
  for (const channel of CHANNELS) {
    const port = raw[`${channel}_port`];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0) {
      throw new Error(`${path}: ${channel}_port must be a non-negative integer`);
    }
    info[`${channel}_port`] = port;
  }
  return info;
}

/**
 * The endpoint for a channel. For ipc, Jupyter names the socket file
 * `<ip>-<port>` (jupyter_client's convention), with the port as a plain index.
 */
export function endpoint(info: ConnectionInfo, channel: Channel): string {
  const port = info[`${channel}_port`];
  return info.transport === 'tcp' ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}
