/**
 * sharp (libvips) loaded on first use: a process that never makes an image variant — a
 * newsletter worker, the CLI — does not carry its ~20 MB.
 */
import type sharpModule from 'sharp';

let loading: Promise<typeof sharpModule> | undefined;

export function loadSharp(): Promise<typeof sharpModule> {
  loading ??= import('sharp').then((module) => module.default);
  return loading;
}
