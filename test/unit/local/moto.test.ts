import { describe, expect, it } from 'vitest';
import { MissingToolError } from '../../../lib/errors.js';
import { startMoto } from '../../../lib/local/moto.js';

describe('startMoto', () => {
  it('rejects with the install command when moto_server is not on PATH', async () => {
    const started = startMoto({ env: { PATH: '' } });

    await expect(started).rejects.toBeInstanceOf(MissingToolError);
    await expect(started).rejects.toThrow('pip install "moto[server]"');
  });

  it('rejects with MissingToolError when the command does not exist', async () => {
    await expect(startMoto({ command: 'moto_server_that_does_not_exist' })).rejects.toThrow(MissingToolError);
  });

  it("rejects with moto_server's exit status when it stops before answering", async () => {
    await expect(startMoto({ command: 'false' })).rejects.toThrow(/exited before it was ready \(code 1/);
  });
});
