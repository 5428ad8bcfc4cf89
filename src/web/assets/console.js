// okta-bridge console script (served from the binary; the CSP forbids inline scripts).
// Two jobs, both progressive enhancements of pages that work without it:
// 1. copy buttons next to values the admin pastes into Okta;
// 2. live status: elements with data-bind* inside [data-poll-url] are refreshed from the integration
//    status JSON (the shape of GET /api/v1/orgs/{slug}/okta) without reloading the page.
;(() => {
  const live = document.createElement('p')
  live.className = 'skip'
  live.setAttribute('role', 'status')
  live.setAttribute('aria-live', 'polite')
  document.addEventListener('DOMContentLoaded', () => {
    document.body.appendChild(live)
    setUpCopyButtons()
    const root = document.querySelector('[data-poll-url]')
    if (root) startPolling(root)
  })

  function setUpCopyButtons() {
    for (const button of document.querySelectorAll('button[data-copy]')) {
      button.hidden = false
      button.addEventListener('click', async () => {
        const source = document.getElementById(button.dataset.copy || '')
        if (!source) return
        const text = source.textContent || ''
        let copied = false
        try {
          await navigator.clipboard.writeText(text)
          copied = true
        } catch {
          copied = copyBySelection(source)
        }
        const label = button.textContent
        button.textContent = copied ? 'Copied' : 'Select and copy'
        live.textContent = copied ? 'Copied to the clipboard' : 'Copy failed; the text is selected'
        setTimeout(() => {
          button.textContent = label
        }, 2000)
      })
    }
  }

  // Fallback for browsers without the async clipboard (plain http on a non-local host).
  function copyBySelection(element) {
    const range = document.createRange()
    range.selectNodeContents(element)
    const selection = window.getSelection()
    if (!selection) return false
    selection.removeAllRanges()
    selection.addRange(range)
    try {
      return document.execCommand('copy')
    } catch {
      return false
    }
  }

  function read(data, path) {
    let value = data
    for (const key of path.split('.')) {
      if (value == null) return undefined
      value = value[key]
    }
    return value
  }

  function format(value, kind) {
    if (value == null || value === '') return kind === 'time' || kind === 'duration' ? '—' : ''
    if (kind === 'count') return Number(value).toLocaleString('en-US')
    if (kind === 'duration') {
      const s = Math.max(0, Math.round(Number(value)))
      if (s < 60) return `${s} s`
      if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
      return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
    }
    if (kind === 'time') return `${new Date(value).toISOString().slice(0, 16).replace('T', ' ')} UTC`
    return String(value)
  }

  function apply(root, data) {
    for (const el of root.querySelectorAll('[data-bind]')) {
      el.textContent = format(read(data, el.dataset.bind), el.dataset.format)
    }
    for (const el of root.querySelectorAll('progress[data-bind-value]')) {
      const max = Number(read(data, el.dataset.bindMax)) || 0
      const value = Number(read(data, el.dataset.bindValue)) || 0
      el.max = Math.max(max, 1)
      el.value = Math.min(value, el.max)
      el.textContent = `${value} of ${max}`
    }
    for (const el of root.querySelectorAll('[data-show-if]')) {
      const expression = el.dataset.showIf || ''
      const negate = expression.startsWith('!')
      const truthy = Boolean(read(data, negate ? expression.slice(1) : expression))
      el.hidden = negate ? truthy : !truthy
    }
    root.dataset.updatedAt = String(Date.now())
  }

  function busy(data) {
    return Boolean(
      read(data, 'sync.fullReconcile.running') ||
        read(data, 'sync.removal.running') ||
        Number(read(data, 'sync.pendingChanges')) > 0,
    )
  }

  // Polling must not keep an unattended session alive forever: after this long without a key
  // press or pointer move (and nothing running) it pauses until the admin is back.
  const UNATTENDED_MS = 15 * 60 * 1000

  function startPolling(root) {
    const url = root.dataset.pollUrl
    const base = Math.max(250, Number(root.dataset.pollMs) || 2000)
    let failures = 0
    let lastSeen = Date.now()
    let paused = false
    const seen = () => {
      lastSeen = Date.now()
      if (paused) {
        paused = false
        void tick()
      }
    }
    for (const type of ['keydown', 'pointermove', 'pointerdown', 'focus']) {
      window.addEventListener(type, seen, { passive: true })
    }
    const tick = async () => {
      let delay = base * 3
      try {
        const response = await fetch(url, {
          credentials: 'same-origin',
          headers: { accept: 'application/json' },
        })
        if (response.status === 401) {
          // The session ended: a reload takes the admin to sign-in and back here.
          window.location.reload()
          return
        }
        if (response.ok) {
          const data = await response.json()
          apply(root, data)
          failures = 0
          if (busy(data)) delay = base
          else if (Date.now() - lastSeen > UNATTENDED_MS) {
            paused = true
            return
          }
        } else failures++
      } catch {
        failures++
      }
      if (failures > 0) delay = Math.min(30000, base * 2 ** failures)
      setTimeout(tick, document.hidden ? Math.max(delay, 10000) : delay)
    }
    setTimeout(tick, base)
  }
})()
