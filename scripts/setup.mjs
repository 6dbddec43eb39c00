// Makes sure the system pieces the tests need are present: Debian's Chromium (which ships
// SwiftShader, WebGPU on the CPU) and the Vulkan loader. Installs them with apt when run as
// root, otherwise says exactly what to install.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = '/usr/lib/chromium/chromium';
const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function hasVulkanLoader() {
  try {
    return execSync('ldconfig -p', { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

const missing = [];
if (!existsSync(CHROMIUM) || !existsSync(ICD)) missing.push('chromium');
if (!hasVulkanLoader()) missing.push('libvulkan1');

if (missing.length) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const cmd = `apt-get update -qq && apt-get install -y -qq ${missing.join(' ')}`;
  if (!isRoot) {
    console.error(`Missing system packages: ${missing.join(', ')}. Install them with:\n  sudo ${cmd.replace('&& ', '&& sudo ')}`);
    process.exit(1);
  }
  console.log(`installing ${missing.join(', ')} with apt ...`);
  execSync(cmd, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}
console.log('system packages ok: chromium (SwiftShader WebGPU), libvulkan1');
