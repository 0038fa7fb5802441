// Angular in JIT mode (no build step): the compiler first, the component metadata applied by hand.
import '@angular/compiler';
import {
  Component,
  CUSTOM_ELEMENTS_SCHEMA,
  provideZonelessChangeDetection,
  signal,
  type ApplicationRef,
} from '@angular/core';
import { createApplication } from '@angular/platform-browser';
import { runPanelScenario, type PanelProps, type Recorder } from './scenario.js';
import { runStoreScenario, type Chat } from './store-scenario.js';
import { realtimeSignal } from '../../src/angular.js';
import type { TabChannelElement } from '../../src/index.js';

class PanelComponent {
  static record: Recorder;
  static initial: PanelProps;
  readonly props = signal<PanelProps>(PanelComponent.initial);
  readonly record = PanelComponent.record;
}

Component({
  selector: 'realtime-panel',
  standalone: true,
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  template: `
    <tab-channel [name]="props().channel" (message)="record('tab-channel', $event)"></tab-channel>
    <storage-sync [key]="props().storageKey" [value]="props().settings"
      (valuechange)="record('storage-sync', $event)"></storage-sync>
    <sse-feed [src]="props().src" type="json"
      (message)="record('sse-feed', $event)" (error)="record('sse-feed', $event)"></sse-feed>
  `,
})(PanelComponent);

describe('Angular', () => {
  it('binds, listens, updates and unmounts <tab-channel>, <storage-sync> and <sse-feed>', () =>
    runPanelScenario(async (host, initial, record) => {
      PanelComponent.initial = initial;
      PanelComponent.record = record;
      const root = document.createElement('realtime-panel');
      host.append(root);
      const app: ApplicationRef = await createApplication({
        providers: [provideZonelessChangeDetection()],
      });
      const ref = app.bootstrap(PanelComponent, root);
      await app.whenStable();
      return {
        async update(next) {
          ref.instance.props.update((props) => ({ ...props, ...next }));
          await app.whenStable();
        },
        async unmount() {
          app.destroy();
        },
      };
    }));
});

class LatestComponent {
  static element: TabChannelElement<Chat>;
  static rendered: () => void;
  readonly snapshot = realtimeSignal(LatestComponent.element);
  text(): string {
    LatestComponent.rendered();
    const snapshot = this.snapshot();
    return `${snapshot?.state ?? ''}:${snapshot?.data?.text ?? ''}`;
  }
}

Component({
  selector: 'realtime-latest',
  standalone: true,
  template: `<p>{{ text() }}</p>`,
})(LatestComponent);

describe('Angular: realtimeSignal', () => {
  it('renders from the store, updates on another tab, stops at unmount', () =>
    runStoreScenario(async (host, element, rendered) => {
      LatestComponent.element = element;
      LatestComponent.rendered = rendered;
      const root = document.createElement('realtime-latest');
      host.append(root);
      const app: ApplicationRef = await createApplication({
        providers: [provideZonelessChangeDetection()],
      });
      app.bootstrap(LatestComponent, root);
      await app.whenStable();
      return {
        async unmount() {
          app.destroy();
          root.remove();
        },
      };
    }));
});
