package dev.faaster.packagestore;

/** Why a package was refused; the names are the stable error codes the API returns. */
public enum PackageProblem {
  PACKAGE_TOO_LARGE,
  PACKAGE_EMPTY,
  NOT_A_ZIP,
  UNSAFE_PATH,
  ZIP_BOMB,
  TOO_MANY_ENTRIES
}
