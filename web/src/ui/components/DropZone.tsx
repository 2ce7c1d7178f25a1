import { createSignal, type JSX } from 'solid-js';

export const ACCEPTED_EXTENSIONS = ['.zip', '.json', '.csv', '.html', '.htm'];

/** Drag-and-drop target plus a file picker; several files at once (split exports, Claude's separate zips). */
export default function DropZone(props: { onFiles: (files: File[]) => void; headline: string; disabled?: boolean }): JSX.Element {
  const [dragging, setDragging] = createSignal(false);
  let input: HTMLInputElement | undefined;
  // dragenter/dragleave fire for every child element: count them so the highlight does not flicker.
  let depth = 0;

  const hasFiles = (e: DragEvent): boolean => e.dataTransfer?.types.includes('Files') ?? false;

  return (
    <div
      class="dropzone"
      classList={{ dragging: dragging() }}
      data-testid="dropzone"
      onDragEnter={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        depth++;
        setDragging(true);
      }}
      onDragOver={(e) => {
        if (!hasFiles(e)) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={() => {
        depth = Math.max(0, depth - 1);
        if (depth === 0) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        depth = 0;
        setDragging(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length > 0 && !props.disabled) props.onFiles(files);
      }}
    >
      <p class="big">{props.headline}</p>
      <p class="muted">A .zip or .json export (several files at once are fine). Everything stays on this device.</p>
      <button type="button" class="button primary" disabled={props.disabled} onClick={() => input?.click()}>
        Choose files…
      </button>
      <input
        ref={input}
        type="file"
        class="visually-hidden"
        multiple
        accept={ACCEPTED_EXTENSIONS.join(',')}
        aria-label="Choose export files to import"
        data-testid="file-input"
        tabindex="-1"
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = '';
          if (files.length > 0) props.onFiles(files);
        }}
      />
    </div>
  );
}
