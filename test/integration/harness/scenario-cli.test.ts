import { describe, expect, it } from 'vitest';
import { runScenarioCli } from '../../support/scenario-cli.ts';
import { tempDir } from '../../support/temp-dir.ts';

// The command line's refusals: fast, no broker started. Each must exit 2 and say what was expected.
const runs = tempDir('cli-runs');

describe('npm run scenario refuses what it cannot run', () => {
  it('an unknown scenario: exit 2, listing the valid ones', async () => {
    const run = await runScenarioCli(['nope'], runs.path, 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown scenario "nope": expected one of broker-restart, broker-kill/);
  });

  it("an unknown flaw: exit 2, listing the target's flaws", async () => {
    const run = await runScenarioCli(['broker-restart', '--flaw', 'careless'], runs.path, 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown flaw "careless" for target reference: expected one of no-confirms, transient, auto-ack/);
  });

  it('an unknown target: exit 2, saying what a target is', async () => {
    const run = await runScenarioCli(['broker-restart', '--target', 'nowhere'], runs.path, 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown target "nowhere": expected "reference" .* or a directory holding a target.json/);
  });

  it('a malformed option: exit 2 with the usage', async () => {
    const run = await runScenarioCli(['broker-restart', '--rate', 'lots'], runs.path, 30_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--rate: expected a number from 1 to 5000, got "lots"/);
    expect(run.stderr).toMatch(/usage: npm run scenario <name>/);
  });

  it('no rabbitmq-server: exit 2 saying how to install it', async () => {
    const run = await runScenarioCli(['broker-restart'], runs.path, 30_000, { RABBITMQ_SERVER_BIN: '/nonexistent/rabbitmq-server' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/rabbitmq-server not found .*apt-get install -y rabbitmq-server/);
  });

  it("--list shows every scenario and the reference target's flaws", async () => {
    const run = await runScenarioCli(['--list'], runs.path, 30_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/broker-restart .* transient/);
    expect(run.stdout).toMatch(/target reference: /);
    expect(run.stdout).toMatch(/no-confirms +publish fire-and-forget/);
  });
});
