import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

/** One client per process, created by a start-* file (never one connection per request). */
export async function connectTemporalClient({ address, namespace }: TemporalSettings): Promise<Client> {
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

export async function connectWorkerConnection({ address }: TemporalSettings): Promise<NativeConnection> {
  return NativeConnection.connect({ address });
}
