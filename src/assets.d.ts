// Files embedded in the executable with `import path from '…' with { type: 'file' }`: the import
// gives the file's path (inside the binary once compiled), read with Bun.file.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string
  export default path
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const path: string
  export default path
}
