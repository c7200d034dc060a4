import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ipInCidr, isCidr, parseIPv4 } from '../../lib/net/cidr.ts';

const c = suite('cidr');
c('parses addresses', () => {
  assert.is(parseIPv4('192.168.1.10'), 3232235786);
  assert.is(parseIPv4('256.1.1.1'), undefined);
  assert.is(parseIPv4('1.2.3'), undefined);
});
c('containment', () => {
  assert.ok(ipInCidr('192.168.1.77', '192.168.1.0/24'));
  assert.not.ok(ipInCidr('192.168.2.1', '192.168.1.0/24'));
  assert.ok(ipInCidr('10.200.2.1', '10.200.0.0/16'));
  assert.ok(ipInCidr('100.101.102.103', '100.64.0.0/10'));
  assert.not.ok(ipInCidr('100.128.0.1', '100.64.0.0/10'));
  assert.ok(ipInCidr('8.8.8.8', '0.0.0.0/0'));
  assert.not.ok(ipInCidr('::1', '0.0.0.0/0'));
});
c('validates CIDRs', () => {
  assert.ok(isCidr('192.168.1.0/24'));
  assert.not.ok(isCidr('192.168.1.0'));
  assert.not.ok(isCidr('192.168.1.0/33'));
});
c.run();
