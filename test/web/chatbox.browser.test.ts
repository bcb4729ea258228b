// The chatbox in a real browser (Debian's Chromium through playwright-core) against the real service run
// with the development secret: two users in two browser contexts sign in as themselves, chat, see each
// other type, read, edit, delete and send an image; the service dies and restarts mid-conversation;
// hostile names and text stay text; axe finds nothing; screenshots at phone and desktop width go to
// test-artifacts/.
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  axeViolations,
  chatboxUnderTest,
  hasChromium,
  messageBodies as messages,
  PHONE,
  send,
  signedInAs,
} from './support/browser.ts';

const XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>';

const dialogs: string[] = [];

// no CHAT_JWT_SECRET: the development secret, so "sign in as" exists
const chatbox = chatboxUnderTest('web_chatbox', () => ({ CHAT_JWT_SECRET: undefined }));

const signedIn = (id: string, name: string, viewport?: typeof PHONE) =>
  signedInAs(chatbox.browser, chatbox.service.baseUrl, { id, name }, dialogs, viewport);

describe.skipIf(!hasChromium)('the chatbox in Chromium', () => {
  it('two users chat live: typing, receipts, edit, delete, an image, a restart, hostile text', async () => {
    const alice = await signedIn('alice', `Alice ${XSS}`);
    const bob = await signedIn('bob', 'Bob');

    // alice creates a room with bob; it appears in bob's list live
    await alice.page.getByText('New room').click();
    await alice.page.getByLabel('Name', { exact: true }).fill(`Pool repairs ${XSS}`);
    await alice.page.getByLabel(/Participants/).fill('bob');
    await alice.page.getByRole('button', { name: 'Create room' }).click();
    await alice.page.getByRole('heading', { name: /Pool repairs/ }).waitFor();
    await bob.page.getByRole('button', { name: /Pool repairs/ }).click();
    await bob.page.getByRole('heading', { name: /Pool repairs/ }).waitFor();

    // both ways, with hostile text and a link
    await send(alice.page, `Hello Bob ${XSS} see https://example.com/x and javascript:alert(1)`);
    await bob.page.locator('.message-rows').getByText('Hello Bob').first().waitFor();
    await send(bob.page, 'Hi Alice');
    await alice.page.locator('.message-rows').getByText('Hi Alice').first().waitFor();
    const links = await bob.page
      .locator('.message .body a')
      .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    expect(links).toEqual(['https://example.com/x']);

    // typing seen, then receipts seen
    await bob.page.getByLabel('Message', { exact: true }).pressSequentially('typing something');
    await alice.page.getByText('Bob is typing…').waitFor();
    await bob.page.getByLabel('Message', { exact: true }).fill('');
    await alice.page.getByText('Seen by Bob').waitFor({ timeout: 20_000 });

    // edit and delete seen live
    const aliceFirst = alice.page.locator('.message.own').filter({ hasText: 'Hello Bob' });
    await aliceFirst.getByRole('button', { name: 'Edit' }).click();
    await alice.page.getByLabel('Message', { exact: true }).fill('Hello Bob, edited');
    await alice.page.getByLabel('Message', { exact: true }).press('Enter');
    await bob.page.locator('.message-rows').getByText('Hello Bob, edited').first().waitFor();
    await bob.page.getByRole('button', { name: '(edited)' }).click();
    await bob.page
      .getByRole('dialog', { name: 'Edit history' })
      .getByText(/Hello Bob .*example\.com/)
      .waitFor();
    await send(alice.page, 'to be deleted');
    await bob.page.locator('.message-rows').getByText('to be deleted').first().waitFor();
    const doomed = alice.page.locator('.message.own').filter({ hasText: 'to be deleted' });
    await doomed.getByRole('button', { name: 'Delete' }).click();
    await doomed.getByRole('button', { name: 'Confirm delete' }).click();
    await bob.page.locator('.message-rows').getByText('Message deleted').first().waitFor();
    await expect.poll(() => bob.page.locator('.message-rows').getByText('to be deleted').count()).toBe(0);

    // an image, seen on the other side; a refused file shows the service's refusal
    await alice.page
      .locator('input[type=file]')
      .setInputFiles({ name: 'roof.png', mimeType: 'image/png', buffer: redPixelPng() });
    const image = bob.page.getByRole('img', { name: 'roof.png' });
    await image.waitFor();
    await expect
      .poll(() => image.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth))
      .toBe(1);
    await alice.page.locator('input[type=file]').setInputFiles({
      name: 'page.html',
      mimeType: 'image/png',
      buffer: Buffer.from('<html><script>alert(1)</script>'),
    });
    await alice.page.getByRole('alert').filter({ hasText: 'page.html' }).waitFor();

    // the restart: messages typed while the service is down are sent once it is back. It goes as a crash
    // looks to the pages: their sockets cut without a close frame (then the service stops)
    for (const socket of chatbox.service.app.websocketServer.clients) socket.terminate();
    await chatbox.service.stop();
    await alice.page.getByText(/Connection lost|Reconnecting/).waitFor();
    await send(alice.page, 'written while down 1');
    await send(alice.page, 'written while down 2');
    await alice.page.locator('.pending-rows').getByText('written while down 2').waitFor();
    await chatbox.service.start();
    await bob.page
      .locator('.message-rows')
      .getByText('written while down 2')
      .first()
      .waitFor({ timeout: 45_000 });
    await alice.page.locator('.message-rows').getByText('written while down 2').waitFor({ timeout: 45_000 });
    await expect.poll(() => alice.page.locator('.pending-rows').count()).toBe(0);
    await send(bob.page, 'after the restart');
    await alice.page.locator('.message-rows').getByText('after the restart').first().waitFor();
    const expected = [
      'Hi Alice',
      'Hello Bob, edited',
      'written while down 1',
      'written while down 2',
      'after the restart',
    ];
    for (const page of [alice.page, bob.page]) {
      const texts = await messages(page).allTextContents();
      for (const text of expected) expect(texts.filter((shown) => shown === text)).toHaveLength(1);
    }

    // nothing hostile ran anywhere
    for (const page of [alice.page, bob.page]) {
      expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    }
    expect(dialogs).toEqual([]);
    await bob.page.getByText(`Alice ${XSS}`).first().waitFor();

    // accessibility and screenshots: desktop room, then the phone's list and room
    expect(await axeViolations(bob.page)).toEqual([]);
    await bob.page.screenshot({ path: `${ARTIFACTS}/chatbox-desktop-1440x900.png` });
    const phone = await signedIn('bob', 'Bob', PHONE);
    await phone.page.getByRole('button', { name: /Pool repairs/ }).waitFor();
    expect(await axeViolations(phone.page)).toEqual([]);
    await phone.page.screenshot({ path: `${ARTIFACTS}/chatbox-phone-list-390x844.png` });
    await phone.page.getByRole('button', { name: /Pool repairs/ }).click();
    await phone.page.locator('.message-rows').getByText('after the restart').first().waitFor();
    expect(await phone.page.getByRole('navigation', { name: 'Rooms' }).isVisible()).toBe(false);
    expect(await axeViolations(phone.page)).toEqual([]);
    await phone.page.screenshot({ path: `${ARTIFACTS}/chatbox-phone-room-390x844.png` });
    await phone.page.getByRole('button', { name: 'Back to rooms' }).click();
    await phone.page.getByRole('navigation', { name: 'Rooms' }).waitFor();

    for (const context of [alice.context, bob.context, phone.context]) await context.close();
  }, 240_000);
});

/** A complete 1x1 PNG (a header alone would not decode in the browser). */
function redPixelPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes: Buffer) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const check = Buffer.alloc(4);
    check.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, check]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(1, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from([0, 255, 0, 0]))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
