// Vite 8.
import * as vite from 'vite';
import { viteFixture } from '../viteFixture.mjs';

export const { build, serve } = viteFixture(vite);
