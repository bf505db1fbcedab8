import type { TestProject } from 'vitest/node';
import { startMoto } from '../../lib/local/moto.js';

/**
 * Starts one moto_server for the integration project and hands its endpoint to the test files
 * (`motoEndpoint()` in ./moto.ts). A missing moto_server is rethrown as is, CI or not: an integration run that
 * quietly skipped its tests would pass without testing anything.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
