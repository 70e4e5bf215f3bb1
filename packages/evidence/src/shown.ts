/** Text from a file shown in a detail is cut here: issuers, titles and tags are short, a hostile one is not. */
const MAXIMUM_SHOWN_CHARACTERS = 120;

/** Text from a file, made safe to show: control and format characters become spaces, and it is cut short. */
export const shown = (text: string | undefined, maximum = MAXIMUM_SHOWN_CHARACTERS): string => {
  const clean = (text ?? '').replace(/[\p{Cc}\p{Cf}]/gu, ' ');
  return clean.length > maximum ? `${clean.slice(0, maximum)}…` : clean;
};
