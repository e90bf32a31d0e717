import { describe, expect, it } from 'vitest';
import { parseNvidiaSmi } from '../../../edge-node/cli/hardware.js';

describe('nvidia-smi parsing', () => {
  it('reads each GPU’s model and memory, and nothing from noise', () => {
    const output = 'NVIDIA H100 80GB HBM3, 81559\nNVIDIA GeForce RTX 4070, 12282\n\nNo devices were found\n';
    expect(parseNvidiaSmi(output)).toEqual([
      { model: 'NVIDIA H100 80GB HBM3', vramMb: 81559 },
      { model: 'NVIDIA GeForce RTX 4070', vramMb: 12282 },
    ]);
    expect(parseNvidiaSmi('')).toEqual([]);
  });
});
