// Vibration and a ring on a new offer and each reminder ([0076]), more insistent at a penalty.
//
// Browsers let a page make sound only after the user has touched it, so the audio context is
// created on the first tap (logging in or switching duty counts) and reused afterwards.

const PATTERNS = {
  offer: { vibrate: [300, 150, 300], tones: [880, 660], repeats: 3, gain: 0.25, wave: "sine" },
  reminder: { vibrate: [500, 150, 500, 150, 500], tones: [988, 740], repeats: 5, gain: 0.3, wave: "triangle" },
  penalty: {
    vibrate: [800, 120, 800, 120, 800, 120, 1200],
    tones: [1245, 932],
    repeats: 8,
    gain: 0.4,
    wave: "square",
  },
};

let audio = null;

/** Prepare sound on the first user gesture (autoplay rules), harmless if called again. */
export function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  try {
    audio = audio || new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  } catch {
    audio = null;
  }
}

/** Vibrate and ring for an offer event: kind is "offer", "reminder" or "penalty". */
export function alarm(kind) {
  const pattern = PATTERNS[kind] || PATTERNS.offer;
  if (typeof navigator.vibrate === "function") {
    try {
      navigator.vibrate(pattern.vibrate);
    } catch {
      /* some browsers refuse without a gesture; the ring still plays */
    }
  }
  ring(pattern);
}

function ring({ tones, repeats, gain, wave }) {
  if (!audio || audio.state === "closed") return;
  const start = audio.currentTime + 0.05;
  const beep = 0.18;
  const volume = audio.createGain();
  volume.gain.value = gain;
  volume.connect(audio.destination);
  for (let i = 0; i < repeats * tones.length; i++) {
    const oscillator = audio.createOscillator();
    oscillator.type = wave;
    oscillator.frequency.value = tones[i % tones.length];
    const envelope = audio.createGain();
    const at = start + i * (beep + 0.06);
    envelope.gain.setValueAtTime(0, at);
    envelope.gain.linearRampToValueAtTime(1, at + 0.02);
    envelope.gain.setValueAtTime(1, at + beep - 0.03);
    envelope.gain.linearRampToValueAtTime(0, at + beep);
    oscillator.connect(envelope).connect(volume);
    oscillator.start(at);
    oscillator.stop(at + beep);
  }
}
