/** torch's ModuleList / ModuleDict as upstream fills them: one child at a time, named by index or key. */
import { Module } from '../module';

export class ModuleListOf extends Module {
  private n = 0;
  add<M extends Module>(m: M): M {
    this.registerModule(String(this.n++), m);
    return m;
  }
}

/** Keys are upstream's paths (`EVENT/x`): they contain '/', never '.'. */
export class ModuleDictOf<M extends Module> extends Module {
  readonly entries: [string, M][] = [];
  add(name: string, m: M): M {
    this.registerModule(name, m);
    this.entries.push([name, m]);
    return m;
  }
}
