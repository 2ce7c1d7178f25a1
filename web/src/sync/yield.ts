/**
 * Lets the host run what is waiting (input, rendering, other tasks) before long work goes on, without the timer
 * clamping of `setTimeout(0)`: browsers throttle chained timers in a hidden tab to one a second, and Chromium to one
 * a minute after five minutes, which would stretch a background pull of a hundred chunks to over an hour.
 * `scheduler.yield()` where there is one (Chromium), else a MessageChannel task, else a timer.
 */
interface YieldingScheduler {
  yield?: () => Promise<void>;
}

export function yieldToHost(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: YieldingScheduler }).scheduler;
  if (typeof scheduler?.yield === 'function') return scheduler.yield();
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
