// The job board's sign-in (src/api/opsBoard.ts): the pasted token goes once in the Authorization
// header of POST /ops/board/session/, which answers with the cookie and where this token may go.
const form = document.getElementById('sign-in');
const status = document.getElementById('status');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const token = form.elements.token.value.trim();
  status.textContent = 'Signing in…';
  const answer = await fetch('../session/', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    credentials: 'same-origin',
  });
  if (!answer.ok) {
    status.textContent =
      answer.status === 401 ? 'That token is not valid.' : 'That token has no access to the board.';
    return;
  }
  form.reset();
  window.location.assign((await answer.json()).board);
});
