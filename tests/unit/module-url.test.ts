import { describe, expect, it } from 'vitest';
import { failedModuleUrl } from '../../web/src/ui/module-url';

const origin = 'https://vault.example';

describe('failedModuleUrl', () => {
  it('reads the script from the messages of Chromium and Firefox', () => {
    expect(failedModuleUrl(new TypeError('Failed to fetch dynamically imported module: https://vault.example/assets/TimelineView-D6FvanCF.js'), origin)).toBe(
      'https://vault.example/assets/TimelineView-D6FvanCF.js',
    );
    expect(failedModuleUrl(new TypeError('error loading dynamically imported module: https://vault.example/assets/Ask-1a.mjs?retry=1'), origin)).toBe(
      'https://vault.example/assets/Ask-1a.mjs?retry=1',
    );
  });

  it('names nothing when the message names no script (Safari) or another origin', () => {
    expect(failedModuleUrl(new TypeError('Importing a module script failed.'), origin)).toBeNull();
    expect(failedModuleUrl(new TypeError('Failed to fetch dynamically imported module: https://evil.example/x.js'), origin)).toBeNull();
    expect(failedModuleUrl('Failed to fetch dynamically imported module: http://vault.example/assets/a.js', origin)).toBeNull();
  });
});
