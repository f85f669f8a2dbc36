/**
 * One ephemeral P-256 key and one Fulcio certificate reused for several signatures, as `cosign sign` does when given
 * several references (FulcioSigner alone fetches a new certificate on every sign()).
 * The certificate is reused only while it stays valid for at least `minRemainingMs` (Fulcio certificates last 10
 * minutes and Rekor's integratedTime must fall inside); concurrent first calls share one Fulcio request.
 */
import { generateKeyPairSync, sign as cryptoSign, X509Certificate } from 'node:crypto';
import { FulcioSigner, type FulcioSignerOptions, type Signature, type Signer } from '@sigstore/sign';

export class ReusableCertificateSigner implements Signer {
  private readonly keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  private readonly publicKeyPem = this.keyPair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  private readonly fulcio: FulcioSigner;
  private cert?: { pem: string; notAfter: number };
  private inflight?: Promise<Signature>;
  /** Fulcio certificates obtained so far. */
  certificates = 0;

  constructor(opts: Omit<FulcioSignerOptions, 'keyHolder'>, private readonly minRemainingMs = 3 * 60_000) {
    const keyHolder: Signer = { sign: async (data) => ({ signature: this.rawSign(data), key: { $case: 'publicKey', publicKey: this.publicKeyPem } }) };
    this.fulcio = new FulcioSigner({ ...opts, keyHolder });
  }

  private rawSign(data: Buffer): Buffer {
    return cryptoSign('sha256', data, this.keyPair.privateKey);
  }

  async sign(data: Buffer): Promise<Signature> {
    for (;;) {
      if (this.cert && this.cert.notAfter - Date.now() >= this.minRemainingMs) {
        return { signature: this.rawSign(data), key: { $case: 'x509Certificate', certificate: this.cert.pem } };
      }
      if (!this.inflight) {
        const p = this.fulcio.sign(data).then((sig) => {
          if (sig.key.$case === 'x509Certificate') {
            this.certificates++;
            this.cert = { pem: sig.key.certificate, notAfter: Date.parse(new X509Certificate(sig.key.certificate).validTo) };
          }
          return sig;
        });
        this.inflight = p;
        try {
          return await p;
        } finally {
          this.inflight = undefined;
        }
      }
      // Another call is fetching the certificate: wait for it (its failure is reported by that call), then loop.
      await this.inflight.catch(() => undefined);
      if (!this.cert) return this.sign(data);
    }
  }
}
