import { detectKind } from '../detect';
import { DataFileError, asDataFileError } from '../errors';
import type { H5Source } from '../h5/source';
import { buildTree } from '../h5/tree';
import { Larcv3Reader } from '../larcv3/reader';
import { previewDataset } from '../preview';
import { readSpanetEvents } from '../spanet/reader';
import { readJaggedHits, readJaggedSets, type JaggedSetsLayout } from '../generic/sets';
import type { EntriesResult, OpenResult, StreamOpened, StreamRequest } from './protocol';
import { entryReaderFor, planOrders, scanClasses, type Role } from '../stream/plan';
import { EntryOrder } from '../stream/order';
import { BatchReader } from '../stream/reader';
import { serveBatches, type PortLike } from '../stream/port';
import type { EntryReader } from '../stream/types';
import { readCheck, type ReadCheckResult } from '../stream/check';
import { spanetSetupFromReader, spanetStreamOrders, type SpanetStreamSetup } from '../stream/spanetPlan';
import type { SpanetPayload } from '../stream/spanetReader';
import { trainingOptions } from '../../tasks/fromFile/options';

/**
 * Worker-side bookkeeping of opened files, independent of how a file was
 * opened (kept apart from the worker glue so it can be tested in Node).
 */
export class FileSessions {
  private files = new Map<string, { src: H5Source; size: number; mounted: boolean; open: OpenResult }>();

  /** Registers an opened source, builds its tree and detects its kind (closing it again on failure). */
  add(fileId: string, src: H5Source, size: number, mounted: boolean, progress: (f: number, stage: string) => void = () => {}): OpenResult {
    try {
      progress(0.6, 'listing groups and datasets');
      const tree = buildTree(src);
      progress(0.85, 'detecting the file kind');
      const summary = detectKind(src, tree);
      const open: OpenResult = { fileId, name: src.fileName, size, mounted, tree, summary };
      this.files.set(fileId, { src, size, mounted, open });
      progress(1, 'done');
      return open;
    } catch (e) {
      src.close();
      throw asDataFileError(e, src.fileName);
    }
  }

  get(fileId: string): H5Source {
    const f = this.files.get(fileId);
    if (!f) throw new DataFileError({ code: 'bad-request', file: fileId, problem: 'file is not open' });
    return f.src;
  }

  preview(fileId: string, path: string, rows: number) {
    const src = this.get(fileId);
    try {
      return previewDataset(src, path, rows);
    } catch (e) {
      throw asDataFileError(e, src.fileName, path);
    }
  }

  readEntries(fileId: string, product: string, producer: string, start: number, end: number): EntriesResult {
    const src = this.get(fileId);
    const r = new Larcv3Reader(src);
    const range = { start, end };
    switch (product) {
      case 'sparse2d':
      case 'sparse3d':
        return r.readSparse(product, producer, range);
      case 'cluster2d':
      case 'cluster3d':
        return r.readClusters(product, producer, range);
      case 'image2d':
        return r.readImages(producer, range);
      case 'particle':
        return r.readParticles(producer, range);
      default:
        throw new DataFileError({ code: 'bad-request', file: src.fileName, problem: `product type ${product} is not supported` });
    }
  }

  readSpanet(fileId: string, start: number, end: number) {
    return readSpanetEvents(this.get(fileId), { start, end });
  }

  readSets(fileId: string, layout: JaggedSetsLayout, target: string) {
    return readJaggedSets(this.get(fileId), layout, target);
  }

  readHits(fileId: string, layout: JaggedSetsLayout, idColumn: string) {
    return readJaggedHits(this.get(fileId), layout, idColumn);
  }

  /**
   * Serves the option's batches of each role on its port (see StreamRequest). SPANet events
   * first make the statistics pass over the training file (progress: events of the pass),
   * then serve; its result travels back with the epoch sizes.
   */
  async openStream(req: StreamRequest, progress: (f: number, stage: string) => void = () => {}): Promise<StreamOpened> {
    const readers: Partial<Record<Role, EntryReader<unknown>>> = {};
    for (const role of ['train', 'validation', 'test'] as const) {
      const id = req.files[role];
      if (id !== undefined) readers[role] = entryReaderFor(this.get(id), req.option);
    }
    const counts = { train: readers.train!.entries, validation: readers.validation?.entries, test: readers.test?.entries };
    const r = req.option;
    const spanetConfig = r.kind === 'spanet-events' ? (req.spanet?.config ?? {}) : null;
    // SPANet: the options file's batch_size, upstream's ranges and dataset_randomization, as physml train (the roles box's batch and split are not SPANet's)
    const sp = spanetConfig
      ? spanetStreamOrders(counts, spanetConfig, { ...req.settings, batch: undefined }, { validationFile: !!readers.validation })
      : null;
    const settings = sp?.settings ?? req.settings;
    const orders = sp?.orders ?? planOrders(counts, settings);
    let spanet: SpanetStreamSetup | undefined;
    if (sp) {
      spanet = await spanetSetupFromReader(
        readers.train as EntryReader<SpanetPayload>,
        spanetConfig!,
        sp.passEnd,
        sp.train,
        (done, total) => progress(done / Math.max(1, total), `statistics pass: ${done} / ${total} events`),
      );
    }
    const epochSizes: StreamOpened['epochSizes'] = {};
    for (const role of ['train', 'validation', 'test'] as const) {
      const port = req.ports[role];
      const reader = readers[role] ?? (role === 'validation' ? readers.train : undefined);
      const o = orders[role];
      if (!port || !reader || !o) continue;
      const order = new EntryOrder(o);
      epochSizes[role] = order.epochSize;
      serveBatches(port as unknown as PortLike, new BatchReader(reader, order, { prefetch: settings.prefetch ?? 3 }));
    }
    const classes =
      r.kind === 'generic-sets' && r.targetKind === 'classification' ? scanClasses(this.get(req.files.train), r.target) : undefined;
    return { epochSizes, ...(classes ? { classes } : {}), ...(spanet ? { spanet } : {}) };
  }

  /**
   * Reads every entry of the file through the readers of its training options; yields to
   * the worker's message loop between reads so that streams served meanwhile keep going.
   */
  check(fileId: string, progress: (f: number, stage: string) => void = () => {}): Promise<ReadCheckResult> {
    const src = this.get(fileId);
    const { summary, tree } = this.files.get(fileId)!.open;
    const requests = trainingOptions(summary, tree).map((o) => o.request);
    return readCheck(src, requests, { progress, between: () => new Promise((r) => setTimeout(r, 0)) });
  }

  close(fileId: string): void {
    const f = this.files.get(fileId);
    this.files.delete(fileId);
    f?.src.close();
  }
}
