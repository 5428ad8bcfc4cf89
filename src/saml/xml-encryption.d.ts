// Types for the parts of xml-encryption (W3C XML Encryption) this project calls; the package ships none.
declare module 'xml-encryption' {
  export interface DecryptOptions {
    key: string | Buffer
    disallowDecryptionWithInsecureAlgorithm?: boolean
    warnInsecureAlgorithm?: boolean
  }
  export interface EncryptOptions {
    rsa_pub: string | Buffer
    pem: string | Buffer
    encryptionAlgorithm: string
    keyEncryptionAlgorithm: string
    keyEncryptionDigest?: string
    disallowEncryptionWithInsecureAlgorithm?: boolean
    warnInsecureAlgorithm?: boolean
  }
  export function decrypt(
    xml: string,
    options: DecryptOptions,
    callback: (error: Error | null, result?: string | Buffer) => void,
  ): void
  export function encrypt(
    content: string,
    options: EncryptOptions,
    callback: (error: Error | null, result?: string) => void,
  ): void
}
