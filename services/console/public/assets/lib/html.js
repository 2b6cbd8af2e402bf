// htm bound to Preact's h: JSX-like templates as plain tagged template literals, no build step.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
