// Vite 6 (installed as the alias vite6).
import * as vite from 'vite6';
import { viteFixture } from '../viteFixture.mjs';

export const { build, serve } = viteFixture(vite);
