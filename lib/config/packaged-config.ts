import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { ConfigError } from '../domain/errors.ts';
import { parseWalcatConfig } from './config.ts';

/**
 * The config file as the deployed functions read it: the YAML document's data written as JSON, so the functions parse
 * it with `JSON.parse` (lib/config/packaged-config-document.ts) and carry no YAML parser. The JSON is validated by
 * the same schema and must give the very config the YAML gives; anything YAML can say that JSON cannot (a value that
 * does not survive the round trip) stops the packaging.
 *
 * @throws ConfigError for an invalid config, or one whose JSON form reads differently.
 * @example writeFileSync('walcat.config.deploy.yml', packagedConfigJson(readFileSync(path, 'utf8'), path))
 */
export function packagedConfigJson(yamlText: string, sourceName: string): string {
  const config = parseWalcatConfig(yamlText, sourceName);
  const json = `${JSON.stringify(parse(yamlText) ?? {}, null, 1)}\n`;
  if (!isDeepStrictEqual(parseWalcatConfig(json, `${sourceName} as JSON`), config)) {
    throw new ConfigError(
      `${sourceName}: reads differently once written as JSON for the deployed functions; write its values as plain strings, numbers, lists and mappings`,
    );
  }
  return json;
}
